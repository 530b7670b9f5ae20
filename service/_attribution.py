"""Earned-traffic attribution: which coverage, if any, referred a visit to an owned site.

**When**: at ingest. ``attribute`` runs once per event when it is posted or imported,
and the outcome (brand, channel, document, outlet) is stored with the event; the
stores only sum stored columns, so both give the same numbers from the same events.
A visit is judged against the coverage stored *when it is ingested*: coverage that is
crawled later does not re-attribute older events (import analytics after the crawl
has caught up, or call ``POST /v1/traffic/reattribute``, which judges every stored
event again with the same rules). The lookups are the store's
(``TrafficStore.document_mentioning`` / ``outlet_covering``), so the decision is the
same on SQLite and Elasticsearch.

**Rules**, in order, for a visit whose landing page is on a brand's ``owned_domains``
(a host equal to one, or a subdomain of one; several brands owning it: the first by
brand id; no brand: stored as ``brand_id=""`` and never counted):

1. no referrer, or one that is not an http(s) URL: ``other`` (direct);
2. the referrer is on one of the brand's own domains: ``owned`` (not earned);
3. paid: ``utm_medium`` (of the event's tags or the landing URL) in ``PAID_MEDIUMS``,
   an ad click id of ``PAID_CLICK_IDS`` on the landing URL, or a referrer on one of
   ``AD_HOSTS``: ``paid`` (not earned);
4. the normalized referrer (``crawlers.normalize_url``) is a stored document's URL,
   or an entry URL of one (its alias), and that document mentions the brand:
   ``document``, attributed to the document and its outlet's domain;
5. the referrer's host (as is, without ``www.``, or its registrable domain) is the
   domain of a stored mention of the brand counted within ``window`` before the
   visit (inclusive): ``outlet``, attributed to that domain;
6. anything else (search engines, social sites, unknown sites): ``other``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

from crawlers import document_id, normalize_url, registrable_domain
from enrichment import Brand
from search import Store, TrafficEvent, TrafficStore

__all__ = [
    "AD_HOSTS",
    "PAID_CLICK_IDS",
    "PAID_MEDIUMS",
    "attribute",
    "brand_for",
    "campaign_of",
    "host_of",
    "is_paid",
    "owns",
]

PAID_MEDIUMS = frozenset(
    {"cpc", "ppc", "cpm", "cpv", "paid", "paidsearch", "paid_search", "paid-search",
     "paidsocial", "paid_social", "paid-social", "display", "banner", "retargeting"}
)  # fmt: skip
"""``utm_medium`` values of the GA4 "Paid Search / Paid Social / Display" default
channel groups (compared lowercased)."""
PAID_CLICK_IDS = frozenset({"gclid", "gbraid", "wbraid", "dclid", "fbclid", "msclkid", "ttclid"})
"""Ad click ids on a landing URL (Google, Meta, Microsoft, TikTok ads). ``fbclid`` is
also added to some organic Facebook shares; Facebook is not earned media either way."""
AD_HOSTS = (
    "doubleclick.net",
    "googleadservices.com",
    "googlesyndication.com",
    "adservice.google.com",
    "taboola.com",
    "outbrain.com",
)
"""Referrer hosts (and their subdomains) that only ever serve ads or sponsored links."""


def host_of(url: str) -> str:
    """The lowercased host of ``url`` without a leading ``www.``; ``""`` when none."""
    try:
        host = (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _under(host: str, domain: str) -> bool:
    domain = domain.lower().strip().rstrip(".").removeprefix("www.")
    return bool(domain) and (host == domain or host.endswith("." + domain))


def owns(brand: Brand, host: str) -> bool:
    """``host`` is one of ``brand.owned_domains`` or a subdomain of one."""
    return any(_under(host, d) for d in brand.owned_domains)


def brand_for(brands: Sequence[Brand], landing_url: str) -> Brand | None:
    """The brand (first by id) owning the landing page's host, if any."""
    host = host_of(landing_url)
    if not host:
        return None
    return next((b for b in sorted(brands, key=lambda b: b.id) if owns(b, host)), None)


def _params(url: str) -> dict[str, str]:
    try:
        query = urlsplit(url.strip()).query
    except ValueError:
        return {}
    return {k.lower(): v for k, v in parse_qsl(query, keep_blank_values=True)}


def campaign_of(landing_url: str) -> str:
    """The landing URL's ``utm_campaign``, ``""`` when it has none."""
    return _params(landing_url).get("utm_campaign", "")


def is_paid(*, landing_url: str, referrer: str, utm_medium: str = "") -> bool:
    """Rule 3 of the module docstring."""
    params = _params(landing_url)
    medium = (utm_medium or params.get("utm_medium", "")).strip().lower()
    if medium in PAID_MEDIUMS:
        return True
    if PAID_CLICK_IDS & params.keys():
        return True
    host = host_of(referrer)
    return any(_under(host, ad) for ad in AD_HOSTS)


def _referrer_domains(referrer: str) -> tuple[str, ...]:
    try:
        full = (urlsplit(referrer.strip()).hostname or "").lower()
    except ValueError:
        return ()
    candidates = [full, full.removeprefix("www."), registrable_domain(referrer) or ""]
    return tuple(dict.fromkeys(c for c in candidates if c))


async def attribute(
    event: TrafficEvent,
    *,
    brands: Sequence[Brand],
    store: Store,
    traffic: TrafficStore,
    window: timedelta,
) -> TrafficEvent:
    """``event`` with ``brand_id``, ``channel``, ``document_id`` and ``outlet`` decided
    by the rules of the module docstring (the paid rule reads ``event.utm_medium``)."""
    blank = replace(event, brand_id="", channel="other", document_id="", outlet="")
    brand = brand_for(brands, event.landing_url)
    if brand is None:
        return blank
    judged = replace(blank, brand_id=brand.id)
    referrer = event.referrer.strip()
    try:
        normalized = normalize_url(referrer) if referrer else ""
    except ValueError:
        normalized = ""
    if not normalized:
        return judged
    if owns(brand, host_of(normalized)):
        return replace(judged, channel="owned")
    if is_paid(landing_url=event.landing_url, referrer=normalized, utm_medium=event.utm_medium):
        return replace(judged, channel="paid")
    asked = document_id(normalized)
    stored = (await store.stored_versions([asked])).get(asked)
    if stored is not None:
        found = await traffic.document_mentioning(stored.document_id, brand.id)
        if found is not None:
            return replace(judged, channel="document", document_id=found[0], outlet=found[1])
    outlet = await traffic.outlet_covering(
        _referrer_domains(normalized),
        brand.id,
        start=event.timestamp - window,
        end=event.timestamp,
    )
    if outlet is not None:
        return replace(judged, channel="outlet", outlet=outlet)
    return judged
