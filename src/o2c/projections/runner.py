"""Keeps the read model following the ledger, in a background thread (and in
`o2c project`, the same steps in a loop of its own).

What o2c does on an error the projection could not park (see parking.py: the
database's own failures): log it, count it where the API can see it, wait with
a growing backoff and try the same batch again. An event is never skipped — the
books would be wrong — so a persistent failure shows as `failing` and a growing
lag in /health and /metrics rather than as silently missing data. A batch that
lost the race to another projector is no error: it is worked out again at once.
"""

from __future__ import annotations

import logging
import threading

from o2c.projections.projector import BATCH, ReadModelProjection, TrackingConflict
from o2c.projections.status import record_failure, record_recovered

log = logging.getLogger("o2c.projections")
FIRST_BACKOFF_S, MAX_BACKOFF_S = 0.05, 5.0
CATCH_UP_BATCHES = 3  # of CATCH_UP_BATCH events: a stop is heard within a few seconds


class Following:
    """One step at a time: project a batch, or fail and say how long to wait."""

    def __init__(self, projection: ReadModelProjection) -> None:
        self.projection = projection
        self.errors = 0  # in this process; the read model counts every projector's
        self.backoff = FIRST_BACKOFF_S
        self._failing = False

    def step(self) -> tuple[int, float]:
        """(facts projected, seconds to wait before the next step if it failed)."""
        try:
            processed = self.projection.run_once()
            if processed == BATCH:  # far behind: overlapped batches, a bounded run so that a stop is heard
                processed += self.projection.catch_up(max_batches=CATCH_UP_BATCHES)
        except TrackingConflict:
            log.info("another projector moved the read model, or a retry ran: batch worked out again")
            return 0, 0.0
        except Exception as error:
            self.errors += 1
            self._failing = True
            record_failure(self.projection.engine, error, self.projection.clock())
            wait, self.backoff = self.backoff, min(self.backoff * 2, MAX_BACKOFF_S)
            log.exception("projection failed; retrying the same batch in %.2fs", wait)
            return 0, wait
        if self._failing:
            self._failing = not record_recovered(self.projection.engine)
        self.backoff = FIRST_BACKOFF_S
        return processed, 0.0


class ProjectionThread:
    def __init__(self, projection: ReadModelProjection, idle_wait_s: float = 0.2) -> None:
        self.projection = projection
        self.idle_wait_s = idle_wait_s
        self.following = Following(projection)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="o2c-projection", daemon=True)

    @property
    def errors(self) -> int:
        return self.following.errors

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Called after the ledger records: there is something to project."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            processed, wait = self.following.step()
            if wait:
                self._stop.wait(wait)
            elif processed == 0 and not self.projection.review.pending:
                # Idle only when nothing is left to review either: the reviews left
                # after a catch-up are part of the position a view waits for.
                self._wake.wait(self.idle_wait_s)
                self._wake.clear()
