"""Reads for the monthly management report: what happened in a month (cash
received, disputes opened and resolved, promises kept and broken) and the
portfolio at its end, from the same dated lines as the other views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c.domain.money import ZERO
from o2c.domain.receivables import collection_effectiveness
from o2c.projections import queries, schema
from o2c.projections.units import from_units

L, PB, K = schema.lines.c, schema.portfolio_balances.c, schema.commitments.c


@dataclass(frozen=True)
class Receivables:
    """The portfolio's receivables on a day, as SPEC's R and its not-yet-due part."""

    outstanding: Decimal
    unapplied: Decimal
    not_yet_due: Decimal

    @property
    def receivables(self) -> Decimal:
        return max(self.outstanding - self.unapplied, ZERO)


async def receivables_on(conn: AsyncConnection, day: date) -> Receivables:
    by_due = (await queries.receivables_by_due_date(conn, None, day)).get(None, {})
    unapplied = (await queries.balances(conn, None, day, ["unapplied"]))[None]["unapplied"]
    not_yet_due = sum((b for due, b in by_due.items() if due >= day), ZERO)
    return Receivables(sum(by_due.values(), ZERO), unapplied, not_yet_due)


async def sales_between(conn: AsyncConnection, first: date, last: date) -> Decimal:
    total = await conn.scalar(
        select(func.sum(PB.amount)).where(PB.measure == "sales", PB.effective_date.between(first, last))
    )
    return from_units(total)


async def cei(conn: AsyncConnection, first: date, last: date, start: Receivables, end: Receivables) -> Decimal | None:
    sales = await sales_between(conn, first, last)
    return collection_effectiveness(start.receivables, sales, end.receivables, end.not_yet_due)


async def movements(conn: AsyncConnection, measure: str, first: date, last: date) -> dict[str, Decimal]:
    """Count and amount of a measure's increases and decreases dated in the month:
    cash received (unapplied cash arriving), disputes opened and resolved."""
    rising = L.amount > 0
    rows = await conn.execute(
        select(
            func.sum(case((rising, 1), else_=0)),
            func.sum(case((rising, L.amount), else_=0)),
            func.sum(case((rising, 0), else_=1)),
            func.sum(case((rising, 0), else_=-L.amount)),
        ).where(L.measure == measure, L.effective_date.between(first, last))
    )
    up_n, up, down_n, down = rows.one()
    return {"up_count": Decimal(up_n or 0), "up": from_units(up), "down_count": Decimal(down_n or 0),
            "down": from_units(down)}  # fmt: skip


async def commitments_in(conn: AsyncConnection, first: date, last: date, today: date) -> dict[str, int]:
    """Promises and plans broken in the month, and those kept: due in the month
    (and passed) without breaking."""
    broken = await conn.execute(
        select(K.kind, func.count()).where(K.broken_on.between(first, last), K.broken_on <= today).group_by(K.kind)
    )
    kept = await conn.execute(
        select(K.kind, func.count())
        .where(K.due_on.between(first, last), K.due_on < today, (K.broken_on.is_(None)) | (K.broken_on > today))
        .group_by(K.kind)
    )
    out = {"promises_kept": 0, "promises_broken": 0, "plans_kept": 0, "plans_broken": 0}
    for kind, n in broken:
        out[f"{kind}s_broken"] = n
    for kind, n in kept:
        out[f"{kind}s_kept"] = n
    return out


async def top_exposures(conn: AsyncConnection, day: date, top: int) -> list[dict[str, Any]]:
    """Accounts by exposure on the day: outstanding + uninvoiced - unapplied cash."""
    signed = case((L.measure == "unapplied", -L.amount), else_=L.amount)
    exposure = func.sum(signed).label("exposure")
    ranked = (
        select(L.account, exposure)
        .where(L.measure.in_(("receivable", "uninvoiced", "unapplied")), L.effective_date <= day)
        .group_by(L.account)
        .order_by(exposure.desc(), L.account)
        .limit(top)
        .subquery()
    )
    a = schema.accounts.c
    rows = await conn.execute(
        select(ranked.c.account, ranked.c.exposure, a.name, a.currency, a.credit_limit)
        .join(schema.accounts, a.account == ranked.c.account)
        .order_by(ranked.c.exposure.desc(), ranked.c.account)
    )
    return [
        {"account": r.account, "name": r.name, "currency": r.currency, "exposure": from_units(r.exposure),
         "credit_limit": from_units(r.credit_limit)}
        for r in rows
    ]  # fmt: skip


async def budget_of(conn: AsyncConnection, month: str) -> dict[str, Decimal] | None:
    figures = await conn.scalar(select(schema.budgets.c.figures).where(schema.budgets.c.month == month))
    return None if figures is None else {name: Decimal(value) for name, value in figures.items()}
