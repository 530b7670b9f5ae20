"""The ingest pipeline's bookkeeping of polls: which entries are in flight, which
polls wait for them, and which poll of a source owns its outcome.

A poll ends when every entry it listed as new or updated is stored (or failed for
good), and also every entry it listed that was already in flight from an earlier
poll or a push; only then may its validators be saved (``service._pipeline``).
Polls of one source are numbered as they start; once a poll has saved its outcome
(success or failure), an earlier poll that ends later saves nothing. In memory:
after a restart every poll starts afresh, and each source belongs to one crawler
process (``crawlers.Shard``).
"""

from __future__ import annotations

from collections.abc import Iterable

from service._pipeline_items import Poll

__all__ = ["PollTracker"]


class PollTracker:
    """See the module docstring."""

    def __init__(self) -> None:
        self.in_flight: set[str] = set()  # document ids queued but not stored yet
        self._waiting: dict[str, list[Poll]] = {}  # id in flight -> later polls listing it
        self._started: dict[str, int] = {}  # source id -> number of its latest poll
        self._recorded: dict[str, int] = {}  # source id -> number of the latest saved

    def start(self, source_id: str) -> int:
        """The number of the source's poll starting now (from 1)."""
        number = self._started[source_id] = self._started.get(source_id, 0) + 1
        return number

    def listing(self, poll: Poll, doc_ids: Iterable[str]) -> set[str]:
        """Make ``poll`` wait for the listed ids already in flight, and returns them.
        Its ``pending`` is one more than that, held until its own entries are
        counted (``poll.pending += len(own) - 1``), so it cannot end before."""
        earlier = set(doc_ids) & self.in_flight
        poll.pending = len(earlier) + 1
        for doc_id in earlier:
            self._waiting.setdefault(doc_id, []).append(poll)
        return earlier

    def done(self, poll: Poll, doc_id: str, *, failed: bool) -> list[Poll]:
        """The entry ``doc_id`` of ``poll`` is stored, failed for good, or (``failed``)
        transiently; returns the polls that have nothing left to wait for."""
        self.in_flight.discard(doc_id)
        poll.pending -= 1
        return [*([poll] if poll.pending == 0 else []), *self.release(doc_id, failed=failed)]

    def release(self, doc_id: str, *, failed: bool) -> list[Poll]:
        """The polls waiting for ``doc_id`` have it no more; returns those with nothing
        left to wait for. A transient failure makes them incomplete (no validators)."""
        ended = []
        for poll in self._waiting.pop(doc_id, []):
            poll.pending -= 1
            poll.incomplete |= failed
            if poll.pending == 0:
                ended.append(poll)
        return ended

    def failed(self, source_id: str, number: int) -> None:
        """Poll ``number`` of the source failed: its failure is the latest outcome."""
        self._recorded[source_id] = max(self._recorded.get(source_id, 0), number)

    def owns_outcome(self, poll: Poll) -> bool:
        """Whether ``poll`` may save its outcome (no later poll of its source has);
        if so, it is the latest from now on."""
        source_id = poll.source.id
        if poll.number < self._recorded.get(source_id, 0):
            return False
        self._recorded[source_id] = poll.number
        return True
