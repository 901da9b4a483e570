"""What every listing of the account directory shares on a day: the scenarios
(to name each account's), what each account has overdue today (a figure no column
keeps: overdue_today.py), the ranking by it, and each listing's totals once asked.
Read once and kept per database while the day and the read model's positions
(projection, retries, risk reviews: rm_tracking) stay as they were: a listing then
costs one small read more than its own queries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c.domain.agenda import resolve_scenario
from o2c.domain.cases import CollectionCase
from o2c.domain.scenarios import DEFAULT_SCENARIOS, RISK_CLASSES
from o2c.projections import schema
from o2c.projections.directory_ranking import Rankings
from o2c.projections.overdue_today import Overdue, overdue_by_account

S, TR = schema.scenarios.c, schema.tracking.c


@dataclass(frozen=True)
class Scenarios:
    """How each account's scenario is found: the one assigned to it if it exists,
    else its class's (agenda.resolve_scenario, from the stored and shipped ones)."""

    names: frozenset[str]
    of_class: Mapping[str, str]  # risk class (unclassed as UNRATED) -> scenario name


async def _scenarios(conn: AsyncConnection) -> Scenarios:
    stored = {row.name: (tuple(row.risk_classes), ()) for row in await conn.execute(select(S.name, S.risk_classes))}
    of_class = {k: resolve_scenario(CollectionCase("", "", "", k, None, (), ()), stored)[0] for k in RISK_CLASSES}
    return Scenarios(frozenset(DEFAULT_SCENARIOS) | frozenset(stored), of_class)


@dataclass(frozen=True)
class Context:
    """What every listing of a day needs besides its own query: the scenarios, what
    each account has overdue today, and which accounts have invoices a plan names
    (overdue_today.py)."""

    scenarios: Scenarios
    overdue: dict[str, Overdue]
    planned: frozenset[str]
    rankings: Rankings  # the accounts by what they have overdue, as sorts ask for them
    # Each listing's totals (by its filters), once asked: its pages and sorts share them.
    totals: dict[tuple[Any, ...], list[Row[Any]]] = field(default_factory=dict)


_KEPT: dict[str, tuple[Any, Context]] = {}


async def context(conn: AsyncConnection, today: date) -> Context:
    """Kept per database while the day and the read model's positions (projection,
    retries, reviews: rm_tracking) are those it was read at: one small read a request."""
    marker = (
        today,
        tuple(sorted((view, position) for view, position in await conn.execute(select(TR.view, TR.position)))),
    )
    key = str(conn.engine.url)
    kept = _KEPT.get(key)
    if kept is not None and kept[0] == marker:
        return kept[1]
    overdue, planned = await overdue_by_account(conn, today)
    found = Context(await _scenarios(conn), overdue, planned, Rankings(overdue))
    _KEPT[key] = (marker, found)
    return found
