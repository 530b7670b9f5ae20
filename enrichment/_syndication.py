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

import hashlib
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

_PRIME: Final = (1 << 61) - 1  # a Mersenne prime above every 8-byte shingle hash we keep
_MASK: Final = (1 << 61) - 1


def _coefficients() -> tuple[tuple[int, int], ...]:
    # Fixed seed: the permutations are part of the stored format.
    rng = random.Random(0x5EED_C1A2)
    return tuple((rng.randrange(1, _PRIME), rng.randrange(0, _PRIME)) for _ in range(PERMUTATIONS))


_PERMUTATIONS: Final = _coefficients()
_A: Final = np.array([[a] for a, _ in _PERMUTATIONS], dtype=np.uint64)
_B: Final = np.array([[b] for _, b in _PERMUTATIONS], dtype=np.uint64)
_P: Final = np.uint64(_PRIME)
_LOW32: Final = np.uint64(0xFFFF_FFFF)
_LOW29: Final = np.uint64((1 << 29) - 1)
_A_HI: Final = _A >> np.uint64(32)
_A_LO: Final = _A & _LOW32


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


def _shingle_hashes(text: str) -> set[int]:
    tokens = folded_words(text)
    found = set()
    for i in range(len(tokens) - SHINGLE_WORDS + 1):
        shingle = " ".join(tokens[i : i + SHINGLE_WORDS]).encode()
        digest = hashlib.blake2b(shingle, digest_size=8).digest()
        found.add(int.from_bytes(digest, "little") & _MASK)
    return found


def _fold(x: np.ndarray) -> None:
    """``x`` to a smaller value of the same residue mod ``2**61 - 1``, in place:
    the bits above 61 are added onto the low ones (``2**61 ≡ 1``)."""
    high = x >> np.uint64(61)
    x &= _P
    x += high


def _permuted(hashes: np.ndarray) -> np.ndarray:
    """``(a * h + b) mod (2**61 - 1)`` for every permutation (rows) and shingle
    hash (columns of ``hashes``, shape ``(1, n)``), exact in 64-bit integers.

    The 122-bit product is split into 32-bit halves, ``hi * 2**64 + mid * 2**32
    + lo``, and each term is reduced with ``2**64 ≡ 8`` and ``2**61 ≡ 1`` before
    the sum, so no step overflows: ``hi * 8 < 2**61``, ``mid`` (``< 2**62``)
    times ``2**32`` is ``(mid >> 29) + (mid & (2**29 - 1)) * 2**32``, and ``lo``
    is ``(lo >> 61) + (lo & (2**61 - 1))``; the sum stays under ``2**63``. Two
    folds bring ``x + b`` to at most ``2**61``: a value is then its residue,
    or (rarely: only residues 0 and 1 can) the residue plus the prime."""
    h_hi, h_lo = hashes >> np.uint64(32), hashes & _LOW32
    x = _A_HI * h_hi
    x <<= np.uint64(3)
    mid = _A_HI * h_lo
    mid += _A_LO * h_hi
    x += mid >> np.uint64(29)
    mid &= _LOW29
    mid <<= np.uint64(32)
    x += mid
    lo = _A_LO * h_lo
    x += lo >> np.uint64(61)
    lo &= _P
    x += lo
    _fold(x)
    x += _B
    _fold(x)
    if (x >= _P).any():
        x = np.where(x >= _P, x - _P, x)
    return x


def signature(text: str) -> tuple[int, ...]:
    """The MinHash signature of ``text``'s shingles; ``()`` when it has fewer
    than ``MIN_SHINGLES``. Each value is ``min over shingles h of (a * h + b)
    mod (2**61 - 1)`` for one permutation ``(a, b)``, computed for all 128 at
    once with NumPy (``_permuted``): 40-80x faster than the same arithmetic on
    Python integers, with identical values (a test checks them against it)."""
    hashes = _shingle_hashes(text)
    if len(hashes) < MIN_SHINGLES:
        return ()
    values = np.fromiter(hashes, dtype=np.uint64, count=len(hashes))
    return tuple(int(v) for v in _permuted(values[None, :]).min(axis=1))


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
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


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
    itself is ignored among the candidates (a re-save)."""
    best: tuple[float, str] | None = None
    for candidate in candidates:
        if candidate.document_id == document_id:
            continue
        score = jaccard(sig, candidate.signature)
        if score < threshold:
            continue
        if best is None or score > best[0] or (score == best[0] and candidate.cluster_id < best[1]):
            best = (score, candidate.cluster_id)
    return document_id if best is None else best[1]


def sketch(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(signature, band_keys)`` of a document's text, both ``()`` when too short."""
    sig = signature(text)
    return sig, band_keys(sig)
