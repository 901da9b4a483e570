"""The agendas the API works out, and what it keeps between requests to do so fast.

A day's agenda is worked out from every account's collection case (the read
model keeps each as JSON, with the log position of the last fact that changed
it). Decoding 10,000 cases costs more than working the agenda out, and few
change between two agendas: decoded cases are kept, and each agenda re-reads
only those whose position moved. The worked-out agenda itself
is kept per (date, read-model position, risk reviews that changed a class), so
a day's pages come from memory, and so is its ranking for a currency filter and
a reporting currency (converting 10,000 priorities and adding up each currency's
amount at risk is not free)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.concurrency import run_in_threadpool

from o2c.domain.agenda import AccountAgenda, ScenarioCatalogue, agenda, resolve_scenario
from o2c.domain.agenda_currencies import RankedAgenda, ranked_agenda
from o2c.domain.cases import CollectionCase, from_json
from o2c.domain.fx import Conversion
from o2c.domain.scenarios import Step
from o2c.projections import schema
from o2c.projections.projector import VIEW
from o2c.projections.risk_review import REVIEWS

_log = logging.getLogger(__name__)
C = schema.collections.c
AGENDAS_KEPT = 4  # days worked out lately: pages of one agenda reuse it
REREAD_ALL_ABOVE = 500  # changed cases: beyond this, one scan beats a list of keys (and SQLite's limit)


class Agendas:
    def __init__(self, weights: Mapping[str, Decimal]) -> None:
        self.weights = weights
        self._cases: dict[str, _Kept] = {}  # by account
        self._worked_out: OrderedDict[tuple[date, int, int], list[AccountAgenda]] = OrderedDict()
        self._ranked: OrderedDict[tuple[Any, ...], tuple[list[AccountAgenda], RankedAgenda]] = OrderedDict()
        self._reading = asyncio.Lock()  # one reader of the cases at a time: the others then find them kept

    async def warm(self, engine: AsyncEngine) -> None:
        """Reads every case once (at start), so that the first agenda asked only
        works the day out: decoding 10,000 cases takes most of a second."""
        started = time.perf_counter()
        try:
            async with engine.connect() as conn:
                cases = await self._cases_at_risk(conn)
        except Exception:  # the first agenda asked reads them instead
            _log.exception("collection cases not read at start")
            return
        _log.info("%d collection cases read in %.0f ms", len(cases), (time.perf_counter() - started) * 1000)

    async def of_day(self, conn: AsyncConnection, on: date) -> list[AccountAgenda]:
        """Every account with something to do on `on`, highest priority first."""
        key = (on, *await _positions(conn))
        if key in self._worked_out:
            return self._worked_out[key]
        cases = await self._cases_at_risk(conn)
        stored = await _stored_scenarios(conn)
        worked_out = await run_in_threadpool(
            agenda, cases, lambda case: resolve_scenario(case, stored), on, self.weights
        )
        self._worked_out[key] = worked_out
        while len(self._worked_out) > AGENDAS_KEPT:
            self._worked_out.popitem(last=False)
        return worked_out

    def ranked(
        self,
        entries: list[AccountAgenda],
        currency: str | None,
        conversions: Mapping[str, Conversion] | None,
    ) -> RankedAgenda:
        """A day's agenda (from `of_day`) filtered and ranked, kept while it is the day's."""
        key = (id(entries), currency, None if conversions is None else tuple(conversions.values()))
        found = self._ranked.get(key)
        if found is not None and found[0] is entries:  # the same list, not one that took its id
            return found[1]
        ranked = ranked_agenda(entries, currency, conversions)
        self._ranked[key] = (entries, ranked)
        while len(self._ranked) > AGENDAS_KEPT:
            self._ranked.popitem(last=False)
        return ranked

    async def _cases_at_risk(self, conn: AsyncConnection) -> list[CollectionCase]:
        """The cases with something to chase, each with its class in force."""
        async with self._reading:
            current = (await conn.execute(select(C.account, C.position, C.risk_class).where(C.at_risk > 0))).all()
            self._cases = await self._refreshed(conn, current)
        return [found.in_force(row.risk_class) for row in current if (found := self._cases.get(row.account))]

    async def _refreshed(self, conn: AsyncConnection, current: Sequence[Row[Any]]) -> dict[str, _Kept]:
        """The cases at risk now: those kept at the same position, the others read again."""
        kept = self._cases
        stale = [row.account for row in current if (k := kept.get(row.account)) is None or k.position != row.position]
        fresh: dict[str, _Kept] = {}
        if stale:
            reread = select(C.account, C.position, C.case).where(C.at_risk > 0)
            if len(stale) <= REREAD_ALL_ABOVE:
                reread = reread.where(C.account.in_(stale))
            fresh = {row.account: _Kept(row.position, from_json(row.case)) for row in await conn.execute(reread)}
        # Missing from both only if it stopped being at risk between the two reads.
        return {row.account: found for row in current if (found := fresh.get(row.account) or kept.get(row.account))}


@dataclasses.dataclass
class _Kept:
    """A decoded case, and the same with the risk review's class (the last asked)."""

    position: int
    case: CollectionCase
    reviewed: str | None = None
    with_reviewed: CollectionCase | None = None

    def in_force(self, reviewed: str | None) -> CollectionCase:
        """The case's class is a credit manager's, if any; else the risk review's."""
        if self.case.risk_class:
            return self.case
        if self.with_reviewed is None or self.reviewed != reviewed:
            self.reviewed, self.with_reviewed = reviewed, dataclasses.replace(self.case, risk_class=reviewed)
        return self.with_reviewed


async def _positions(conn: AsyncConnection) -> tuple[int, int]:
    """The read model's position in the log, and the count of risk reviews that
    changed a class: an agenda worked out at both still holds."""
    t = schema.tracking.c
    rows = await conn.execute(select(t.view, t.position).where(t.view.in_((VIEW, REVIEWS))))
    found = {view: position for view, position in rows}
    return found.get(VIEW, 0), found.get(REVIEWS, 0)


async def _stored_scenarios(conn: AsyncConnection) -> ScenarioCatalogue:
    return {
        row.name: (tuple(row.risk_classes), tuple(Step(**s) for s in row.steps))
        for row in await conn.execute(select(schema.scenarios))
    }
