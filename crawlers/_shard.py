"""Which crawler process polls which source: rendezvous (highest-random-weight) hashing.

Several crawler processes can share one store; each owns the sources for which its
shard index scores highest. Every process computes the same answer from the source
id alone, with no coordination, and when the shard count grows from n to n + 1
only the sources the new shard wins move (about 1 / (n + 1) of them); none moves
between the old shards. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``index`` of ``count`` (0 <= index < count). ``Shard(0, 1)`` owns everything."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"shard count must be at least 1, not {self.count}")
        if not 0 <= self.index < self.count:
            raise ValueError(f"shard index must be in 0..{self.count - 1}, not {self.index}")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"k/n"``: shard ``k`` of ``n`` (``"0/2"``, ``"1/2"``). Raises ``ValueError``."""
        index, sep, count = text.strip().partition("/")
        if not sep or not index.strip().isdigit() or not count.strip().isdigit():
            raise ValueError(f"a shard is written 'k/n' with 0 <= k < n, not {text!r}")
        return cls(int(index), int(count))

    def owns(self, source_id: str) -> bool:
        return owns(source_id, self.index, self.count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def owns(source_id: str, shard: int, count: int) -> bool:
    """Whether shard ``shard`` of ``count`` polls the source ``source_id``.

    Exactly one shard of ``count`` owns each id. Raises ``ValueError`` for a shard
    outside ``0..count-1``.
    """
    if count < 1 or not 0 <= shard < count:
        raise ValueError(f"shard {shard} of {count}: need 0 <= shard < count")
    return owner(source_id, count) == shard


def owner(source_id: str, count: int) -> int:
    """The shard of ``count`` with the highest weight for ``source_id`` (ties: lowest index)."""
    return max(range(count), key=lambda shard: (_weight(source_id, shard), -shard))


def _weight(source_id: str, shard: int) -> int:
    # blake2b is in the standard library, fast, and stable across processes and
    # versions (unlike hash(), which is salted per process).
    digest = hashlib.blake2b(f"{shard}\x00{source_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")
