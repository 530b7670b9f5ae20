"""Rendezvous hashing of sources over crawler processes: stable, balanced, minimal moves."""

from __future__ import annotations

from collections import Counter

import pytest

from crawlers import Shard, owns
from crawlers._shard import owner

IDS = [f"source-{n}" for n in range(10_000)]
# Each shard's share of 10k ids may stray this far from the fair share: the binomial
# standard deviation at n = 8 is ~0.9% of the ids (~7% of a share), so ±15% is > 2 sigma.
TOLERANCE = 0.15


def test_exactly_one_shard_owns_each_source() -> None:
    for source_id in IDS[:500]:
        for count in (1, 2, 3, 7):
            assert sum(owns(source_id, k, count) for k in range(count)) == 1


def test_ownership_is_pinned() -> None:
    # Pinned values: a change of hash would silently move sources between running
    # crawlers of different versions (and hash() is salted per process: not used).
    ids = ("acme", "bbc-world", "reddit-acme", "x", "hn-nodejs", "youtube-nasa")
    assert [owner(i, 4) for i in ids] == [1, 2, 1, 2, 0, 2]


@pytest.mark.parametrize("count", [2, 3, 5, 8])
def test_shards_are_balanced_on_10k_ids(count: int) -> None:
    sizes = Counter(owner(i, count) for i in IDS)
    fair = len(IDS) / count
    assert set(sizes) == set(range(count))
    for shard, size in sizes.items():
        assert abs(size - fair) <= TOLERANCE * fair, (shard, size, fair)


@pytest.mark.parametrize("count", [1, 2, 4, 7])
def test_growing_by_one_shard_moves_only_what_the_new_shard_takes(count: int) -> None:
    before = {i: owner(i, count) for i in IDS}
    after = {i: owner(i, count + 1) for i in IDS}
    moved = [i for i in IDS if before[i] != after[i]]
    assert all(after[i] == count for i in moved)  # nothing moves between old shards
    fair = len(IDS) / (count + 1)
    assert abs(len(moved) - fair) <= TOLERANCE * fair, (len(moved), fair)


def test_shard_parsing_and_its_errors() -> None:
    assert Shard.parse(" 1/3 ") == Shard(1, 3) and str(Shard(1, 3)) == "1/3"
    assert Shard(0, 1).owns("anything")
    for bad in ("3/3", "1", "a/b", "-1/2", "1/0", "1/2/3"):
        with pytest.raises(ValueError):
            Shard.parse(bad)
    with pytest.raises(ValueError):
        owns("x", 2, 2)
