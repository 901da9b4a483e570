"""Keeps the read model following the ledger, in a background thread.

What o2c does on an error (the library's runner just stops): log it, count it,
wait with a growing backoff and try the same batch again. An event is never
skipped — the books would be wrong — so a persistent failure shows as a
growing lag in /metrics rather than as silently missing data.
"""

from __future__ import annotations

import logging
import threading

from o2c.projections.projector import ReadModelProjection

log = logging.getLogger("o2c.projections")


class ProjectionThread:
    def __init__(self, projection: ReadModelProjection, idle_wait_s: float = 0.2) -> None:
        self.projection = projection
        self.idle_wait_s = idle_wait_s
        self.errors = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="o2c-projection", daemon=True)

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
        backoff = 0.05
        while not self._stop.is_set():
            try:
                processed = self.projection.run_once()
                backoff = 0.05
            except Exception:
                self.errors += 1
                log.exception("projection failed; retrying the same batch in %.2fs", backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if processed == 0:
                self._wake.wait(self.idle_wait_s)
                self._wake.clear()
