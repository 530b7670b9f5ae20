"""URL normalization: one spelling per article, so that one article is one document.

``normalize_url`` is deliberately conservative about the query string: it drops
only parameters known to be tracking or share tags. Dropping a parameter that
selects content would merge two articles into one document (data lost), while
keeping a tracker only leaves a duplicate that syndication clustering can still
catch. This is why courlan's ``normalize_url`` is not used: its tracker pattern
also drops any parameter whose name contains ``source``, ``session``, ``uid``,
``keyword``, ``medium`` and the like, and its query parsing drops blank values.
"""

from __future__ import annotations

import functools
import hashlib
import re
from urllib.parse import urljoin, urlsplit, urlunsplit

from tld import get_fld
from tld.utils import get_tld_names

# Exact parameter names (lowercased) that only say who shared or clicked a link.
# fmt: off
TRACKING_PARAMS = frozenset(
    {
        "fbclid",  # Facebook click id
        "gclid", "dclid", "gbraid", "wbraid",  # Google Ads click ids
        "msclkid",  # Microsoft Ads click id
        "yclid",  # Yandex click id
        "twclid", "ref_src", "ref_url",  # X/Twitter click id and share tags
        "igshid", "igsh",  # Instagram share id
        "mc_cid", "mc_eid",  # Mailchimp campaign / subscriber ids
        "ref",  # referral tag (?ref=hn); GitHub's ?ref=branch is not news
        "cmpid", "cmp",  # campaign ids (Guardian CMP=share_btn, many US publishers cmpid)
        "ocid",  # MSN / Microsoft syndication tag
        "ncid",  # Yahoo / Engadget campaign id
        "smid", "smtyp",  # New York Times share tags
        "xtor",  # AT Internet (Le Monde, France Télévisions ...) campaign tag
        "maca",  # Deutsche Welle feed campaign tag (?maca=en-rss-en-all-1573-rdf)
        "soc_src", "soc_trk",  # social share tags (Washington Post and others)
        "__twitter_impression",  # X/Twitter embed tag
    }
)
# Parameter name prefixes (lowercased) of analytics suites.
TRACKING_PREFIXES = (
    "utm_",  # Google Analytics campaign tags
    "mtm_", "pk_",  # Matomo / Piwik campaign tags
    "_hs",  # HubSpot email tags (_hsenc, _hsmi)
    "at_",  # AT Internet / BBC campaign tags (at_medium, at_campaign)
    "wt_",  # Webtrekk / Mapp campaign tags (heise: ?wt_mc=rss.developer...)
)
# fmt: on
# Query parameters that only ask for the AMP rendering of the same article.
AMP_PARAMS = {"amp": {"", "1", "true"}, "outputtype": {"amp"}, "_amp": {"", "1", "true"}}
# Second-level labels under which "amp.<label>.<tld>" is a registrable domain, not a subdomain.
_GENERIC_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "ac", "edu", "ne", "or"})

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# Characters left as they are; anything else (spaces, non-ASCII) is percent-encoded.
_SAFE = frozenset("!#$%&'()*+,/:;=?@[]") | _UNRESERVED


def normalize_url(url: str, *, base: str | None = None) -> str:
    """Return the one spelling of ``url`` that Clarion stores and hashes.

    Resolves ``url`` against ``base`` when given; lowercases scheme and host
    (IDNA-encoded); drops default ports, user info is kept; removes the fragment,
    tracking parameters (``TRACKING_PARAMS``, ``TRACKING_PREFIXES``) and AMP
    markers (``/amp`` path suffix, ``.amp`` file suffix, ``?amp=1``,
    ``?outputType=amp``, an ``amp.`` subdomain in front of a registrable domain);
    sorts the remaining parameters by name (repeated names keep their order);
    normalizes percent-escapes; removes dot segments and a trailing slash on any
    path but ``/``. Idempotent: ``normalize_url(normalize_url(u)) == normalize_url(u)``.

    Raises ``ValueError`` when the result is not an absolute http(s) URL with a host.
    """
    url = url.strip()
    if base is not None:
        url = urljoin(base.strip(), url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = _normalize_host(parts.hostname or "")
    if not host:
        raise ValueError(f"URL without a host: {url!r}")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"URL with an invalid port: {url!r}") from exc
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    if "@" in parts.netloc:
        netloc = f"{parts.netloc.rpartition('@')[0]}@{netloc}"
    path = _normalize_path(parts.path)
    query = _normalize_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


@functools.lru_cache(maxsize=1 << 16)
def document_id(url: str) -> str:
    """The id of the document at ``url``: the first 32 hex digits of the SHA-256 of
    ``normalize_url(url)``. Raises ``ValueError`` like ``normalize_url``. Cached:
    the pipeline asks for the id of one entry's URL at each of its steps."""
    return hashlib.sha256(normalize_url(url).encode("utf-8")).hexdigest()[:32]


def registrable_domain(url: str) -> str | None:
    """The domain one registrant controls (``bbc.co.uk`` for ``news.bbc.co.uk``), by the
    Public Suffix List bundled with ``tld``; for a host the list does not know (an IP
    address, ``localhost``, a reserved TLD) the host itself. None without a host."""
    try:
        host = _normalize_host(urlsplit(url.strip()).hostname or "")
    except ValueError:  # an unbalanced IPv6 bracket
        return None
    if not host:
        return None
    return _registrable_host(host)


def load_public_suffix_list() -> None:
    """Read the Public Suffix List now, if it is not read yet (the first
    ``registrable_domain`` would: a service calls this at start instead)."""
    get_tld_names()


@functools.lru_cache(maxsize=4096)
def _registrable_host(host: str) -> str:
    """``registrable_domain`` of a normalized host (cached: one site, many pages)."""
    found = get_fld(f"http://{host}/", fail_silently=True) if ":" not in host else None
    return str(found) if found else host


def canonical_url(url: str, canonical: str | None) -> str:
    """The URL that identifies the page at ``url`` given its ``<link rel=canonical>``.

    The canonical (resolved against ``url``) wins only when it is an http(s) URL on
    the same registrable domain as ``url``. A cross-domain canonical is refused: any
    page can declare one, so trusting it would let a page claim another site's
    document id, merging (or overwriting) that site's article with its own text;
    syndicated copies pointing at the original are left to syndication clustering.
    """
    if not canonical:
        return url
    try:
        resolved = normalize_url(canonical, base=url)
    except ValueError:  # not an http(s) URL: the page's own URL stands
        return url
    here = registrable_domain(url)
    return resolved if here is not None and registrable_domain(resolved) == here else url


def _normalize_host(host: str) -> str:
    host = host.rstrip(".").lower()
    if ":" in host:  # an IPv6 literal
        return host
    host = _idna(host)
    labels = host.split(".")
    if labels[0] == "amp" and len(labels) >= 3:
        if len(labels) > 3 or labels[1] not in _GENERIC_SECOND_LEVEL:
            host = ".".join(labels[1:])
    return host


def _idna(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:  # not valid IDNA (an underscore label, an over-long label):
        return host  # the lowercased text is still one stable spelling


def _normalize_escapes(text: str) -> str:
    """Decode escapes of unreserved characters, upper-case the others, escape the unsafe."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    text = _ESCAPE.sub(fix, text)
    out = []
    for char in text:
        if char in _SAFE:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/".join(output)


def _normalize_path(path: str) -> str:
    path = _remove_dot_segments(_normalize_escapes(path or "/"))
    if not path.startswith("/"):
        path = "/" + path
    if path.endswith("/amp/") or path.endswith("/amp"):
        path = path[: path.rindex("/amp")] or "/"
    elif path.endswith(".amp"):
        path = path[: -len(".amp")]
    elif path.endswith(".amp.html"):
        path = path[: -len(".amp.html")] + ".html"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path


def _is_dropped(name: str, value: str) -> bool:
    lowered = name.lower()
    if lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES):
        return True
    amp_values = AMP_PARAMS.get(lowered)
    return amp_values is not None and value.lower() in amp_values


def _normalize_query(query: str) -> str:
    kept: list[tuple[str, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, has_value, value = piece.partition("=")
        name = _normalize_escapes(name)
        value = _normalize_escapes(value)
        if _is_dropped(name, value):
            continue
        kept.append((name, f"{name}={value}" if has_value else name))
    kept.sort(key=lambda pair: pair[0])  # stable: repeated names keep their order
    return "&".join(text for _, text in kept)
