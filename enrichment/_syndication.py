"""Syndication: near-duplicate documents (wire copy, reprinted press releases).

A document's *signature* is a MinHash of the set of its word shingles
(``SHINGLE_WORDS`` consecutive folded words of the extracted text; the title
is left out, since reprints often rewrite it). Two signatures agree in each
position with probability equal to the Jaccard similarity of the two shingle
sets, so the share of equal positions estimates it (standard error
``sqrt(J(1-J)/PERMUTATIONS)``, about 0.035 at J = 0.8).

Finding candidates without comparing against every stored document: LSH
banding. The signature is cut into ``BANDS`` bands of ``ROWS`` values; each
band hashes to a 63-bit *band key*, and two documents sharing any key are
candidates. A pair with Jaccard ``s`` shares at least one band with
probability ``1 - (1 - s**ROWS)**BANDS``: 0.9999 at s = 0.8, 0.99 at 0.6,
0.64 at 0.4; the S-curve's midpoint ``(1/BANDS)**(1/ROWS)`` is 0.42. So
banding misses almost no pair above ``THRESHOLD``; candidates are then
verified with the full signatures (``jaccard``).

Clusters: a document joins the cluster of its most similar earlier
candidate whose estimated Jaccard is at least ``THRESHOLD``; otherwise it
starts its own, whose id is its own document id (``assign_cluster``). Pure:
the store keeps band keys, signatures and cluster ids (``search.Store``).

Hashing is stable across processes and versions of Python (blake2b, not
``hash()``), so keys written today match keys computed next year.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import random
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from enrichment._tokens import folded_words

__all__ = [
    "BANDS",
    "PERMUTATIONS",
    "ROWS",
    "SHINGLE_WORDS",
    "THRESHOLD",
    "Sketch",
    "Syndication",
    "SyndicationCandidate",
    "assign_cluster",
    "band_keys",
    "jaccard",
    "signature",
    "sketch",
]

SHINGLE_WORDS: Final = 5
"""Words per shingle. Five-word runs are rare enough in news prose that two
unrelated articles on the same topic share few (measured: different articles
on one topic stay below J = 0.1), common enough that a light edit (a changed
word) removes only the five shingles around it."""

BANDS: Final = 32
ROWS: Final = 4
PERMUTATIONS: Final = BANDS * ROWS
"""128 MinHash values per document: 32 bands of 4 rows (see the module
docstring for the candidate probabilities they give). 128 keeps the Jaccard
estimate within about ±0.07 (2 standard errors) at J = 0.8."""

THRESHOLD: Final = 0.6
"""Smallest estimated Jaccard of two copies of one story. Measured on the
re-wrapped set of ``tests/enrichment/test_syndication.py`` (10 real articles,
each re-published by 3 invented outlets and extracted again): a copy against
its original scores 0.95 (new headline), 0.79 (last paragraph dropped) and
0.68 (dateline and a few words changed in every paragraph); two copies of one
story score 0.56 at worst; different articles, including four pairs on the
same story, score 0.09 at most. 0.6 sits between, nearer the copies' side
because a false merge hides a story while a miss only double-counts it.
A copy edited against another copy joins through the original: clusters
follow the first match, so "A ~ B and B ~ C" puts C with A."""

MIN_SHINGLES: Final = 8
"""Texts with fewer shingles (about a dozen words) get no signature: a short
post or a headline-only entry would collide with any other that shares a
sentence, and reprints are about articles."""

# Distinct words whose hash is remembered: a corpus shares most of its vocabulary.
_WORD_HASHES: Final = 1 << 16
# Shingle hashes are taken this many at a time, so a very long text never needs more
# than PERMUTATIONS * _CHUNK 64-bit values of scratch (8 MiB).
_CHUNK: Final = 8192
_U64 = np.uint64


def _coefficients() -> tuple[tuple[int, int], ...]:
    # Fixed seed: the permutations are part of the stored format.
    rng = random.Random(0x5EED_C1A2)
    return tuple((rng.getrandbits(64) | 1, rng.getrandbits(64)) for _ in range(PERMUTATIONS))


_PERMUTATIONS: Final = _coefficients()
_A: Final = np.array([[a] for a, _ in _PERMUTATIONS], dtype=_U64)
_B: Final = np.array([[b] for _, b in _PERMUTATIONS], dtype=_U64)
# Odd, so multiplying by it is a bijection modulo 2**64 (the golden-ratio constant).
_STEP: Final = _U64(0x9E37_79B9_7F4A_7C15)


@dataclass(frozen=True, slots=True)
class Syndication:
    """What the store keeps of a document for syndication: its cluster, the
    MinHash signature and the LSH band keys (empty for texts too short)."""

    cluster_id: str
    signature: tuple[int, ...]
    band_keys: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SyndicationCandidate:
    """A stored document sharing at least one band key with a new one."""

    document_id: str
    cluster_id: str
    signature: tuple[int, ...]


@functools.lru_cache(maxsize=_WORD_HASHES)
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def _shingle_hashes(text: str) -> np.ndarray:
    """The distinct 64-bit hashes of ``text``'s shingles, unordered.

    A shingle's hash is its words' hashes (blake2b) combined as a polynomial in
    the odd ``_STEP`` modulo ``2**64`` (so changing any one word changes it), then
    avalanched with SplitMix64's finalizer, all shingles at once."""
    tokens = folded_words(text)
    count = len(tokens) - SHINGLE_WORDS + 1
    if count < 1:
        return np.empty(0, dtype=_U64)
    words = np.fromiter(map(_word_hash, tokens), dtype=_U64, count=len(tokens))
    hashes = words[:count].copy()
    for offset in range(1, SHINGLE_WORDS):
        hashes *= _STEP
        hashes += words[offset : offset + count]
    hashes ^= hashes >> _U64(30)
    hashes *= _U64(0xBF58_476D_1CE4_E5B9)
    hashes ^= hashes >> _U64(27)
    hashes *= _U64(0x94D0_49BB_1331_11EB)
    hashes ^= hashes >> _U64(31)
    return np.unique(hashes)


def _minima(hashes: np.ndarray) -> np.ndarray:
    """``min over h of ((a * h + b) mod 2**64) >> 3`` for every permutation ``(a, b)``.

    With ``a`` odd, ``h -> a * h + b`` is a bijection of the 64-bit values; on
    hashes that are already uniform the share of equal minima estimates Jaccard
    similarity without bias and with MinHash's standard error (the tests check
    both at J = 0.3, 0.6 and 0.8). NumPy's unsigned arithmetic wraps
    modulo ``2**64``; the shift keeps the well-mixed high bits and makes every
    value fit a signed 64-bit integer (SQLite, Elasticsearch ``long``)."""
    best = np.full(PERMUTATIONS, np.iinfo(np.uint64).max, dtype=_U64)
    for start in range(0, len(hashes), _CHUNK):
        permuted = _A * hashes[None, start : start + _CHUNK]
        permuted += _B
        np.minimum(best, permuted.min(axis=1), out=best)
    return best >> _U64(3)


def signature(text: str) -> tuple[int, ...]:
    """The MinHash signature of ``text``'s shingles (``_minima``), ``()`` when it
    has fewer than ``MIN_SHINGLES``: all 128 values at once with NumPy."""
    hashes = _shingle_hashes(text)
    if len(hashes) < MIN_SHINGLES:
        return ()
    return tuple(_minima(hashes).tolist())


def band_keys(sig: Sequence[int]) -> tuple[int, ...]:
    """One signed 64-bit key per band (its number and values hashed), or ``()``
    for an empty signature. Signed so that SQLite and Elasticsearch ``long``
    store them as they are."""
    if not sig:
        return ()
    if len(sig) != PERMUTATIONS:
        raise ValueError(f"a signature has {PERMUTATIONS} values, not {len(sig)}")
    keys = []
    for band in range(BANDS):
        rows = sig[band * ROWS : (band + 1) * ROWS]
        packed = struct.pack(f"<H{ROWS}Q", band, *rows)
        digest = hashlib.blake2b(packed, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return tuple(keys)


def jaccard(a: Sequence[int], b: Sequence[int]) -> float:
    """The Jaccard similarity estimated from two signatures (0 if either is empty)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return float(sum(map(operator.eq, a, b))) / len(a)


def assign_cluster(
    document_id: str,
    sig: Sequence[int],
    candidates: Iterable[SyndicationCandidate],
    *,
    threshold: float = THRESHOLD,
) -> str:
    """The cluster ``document_id`` joins: that of the most similar candidate at
    or above ``threshold`` (ties: the smaller cluster id, so the choice does not
    depend on the order the store returned), else its own id. The document
    itself is ignored among the candidates (a re-save). Each distinct signature is
    scored once: the copies of a wire story often have the same one."""
    best: tuple[float, str] | None = None
    scores: dict[tuple[int, ...], float] = {}
    for candidate in candidates:
        if candidate.document_id == document_id:
            continue
        theirs = tuple(candidate.signature)
        score = scores.get(theirs)
        if score is None:
            score = scores[theirs] = jaccard(sig, theirs)
        if score < threshold:
            continue
        if best is None or score > best[0] or (score == best[0] and candidate.cluster_id < best[1]):
            best = (score, candidate.cluster_id)
    return document_id if best is None else best[1]


# A text's MinHash signature and its LSH band keys, as ``sketch`` returns them.
Sketch = tuple[tuple[int, ...], tuple[int, ...]]


def sketch(text: str) -> Sketch:
    """``(signature, band_keys)`` of a document's text, both ``()`` when too short."""
    sig = signature(text)
    return sig, band_keys(sig)
