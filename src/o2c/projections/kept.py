"""The accounts as the projection has them: the most recently used kept in memory,
so that a batch moves each on from where the last left it (by the domain's own
`event.mutate`); one not kept is read back at the version the projection reached."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import Engine

from o2c.ledger.application import Ledger
from o2c.projections.alerting import Projected
from o2c.projections.rows import load_projected

KEPT_ACCOUNTS = 50_000


class KeptAccounts:
    def __init__(self, ledger: Ledger, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.ledger, self.engine, self.clock = ledger, engine, clock
        self._kept: OrderedDict[str, Projected] = OrderedDict()
        # Called before an account is read back from the read model (catch_up.py: the batch in flight).
        self.before_reading_rows: Callable[[], None] = lambda: None

    def get(self, code: str) -> Projected | None:
        return self._kept.get(code)

    def keep(self, code: str, projected: Projected) -> None:
        self._kept[code] = projected
        while len(self._kept) > KEPT_ACCOUNTS:
            self._kept.popitem(last=False)

    def at(self, code: str, version_before: int) -> Projected | None:
        """The account as projected up to `version_before` (None before its first fact)."""
        kept = self._kept.get(code)
        if kept is not None and kept.account.version == version_before:
            self._kept.move_to_end(code)
            return kept
        if version_before == 0:
            return None
        self.before_reading_rows()
        projected = load_projected(self.ledger, self.engine, self.clock, code, version_before)
        self.keep(code, projected)
        return projected

    def forget(self, codes: Iterable[str | None] | None = None) -> None:
        """These accounts (all, if None): kept ones may be ahead of what was committed."""
        if codes is None:
            self._kept.clear()
            return
        for code in codes:
            if code is not None:
                self._kept.pop(code, None)
