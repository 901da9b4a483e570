"""Reads for the monthly management report, per currency: what happened in a
month (cash received, disputes opened and resolved, promises kept and broken)
and the largest exposures at its end, from the same dated lines as the other
views (the receivables and aging come from queries.py's portfolio sums)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c.domain.monthly_report import COMMITMENT_COUNTS, Exposure, Movements
from o2c.projections import schema
from o2c.projections.units import from_units

L, K, A = schema.lines.c, schema.commitments.c, schema.accounts.c


async def movements(
    conn: AsyncConnection, measure: str, first: date, last: date, currency: str | None = None
) -> dict[str, Movements]:
    """Per currency, count and amount of a measure's increases and decreases dated in
    the month: cash received (unapplied cash arriving), disputes opened and resolved."""
    rising = L.amount > 0
    query = (
        select(
            A.currency,
            func.sum(case((rising, 1), else_=0)),
            func.sum(case((rising, L.amount), else_=0)),
            func.sum(case((rising, 0), else_=1)),
            func.sum(case((rising, 0), else_=-L.amount)),
        )
        .join(schema.accounts, A.account == L.account)
        .where(L.measure == measure, L.effective_date.between(first, last))
        .group_by(A.currency)
    )
    if currency is not None:
        query = query.where(A.currency == currency)
    return {
        kept_in: Movements(int(up_n or 0), from_units(up), int(down_n or 0), from_units(down))
        for kept_in, up_n, up, down_n, down in await conn.execute(query)
    }


async def commitments_in(
    conn: AsyncConnection, first: date, last: date, today: date, currency: str | None = None
) -> dict[str, dict[str, int]]:
    """Per currency, promises and plans broken in the month, and those kept: due in
    the month (and passed) without breaking."""
    broken = K.broken_on.between(first, last) & (K.broken_on <= today)
    kept = K.due_on.between(first, last) & (K.due_on < today) & (K.broken_on.is_(None) | (K.broken_on > today))
    out: defaultdict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COMMITMENT_COUNTS, 0))
    for outcome, condition in (("broken", broken), ("kept", kept)):
        query = (
            select(A.currency, K.kind, func.count())
            .join(schema.accounts, A.account == K.account)
            .where(condition)
            .group_by(A.currency, K.kind)
        )
        if currency is not None:
            query = query.where(A.currency == currency)
        for kept_in, kind, n in await conn.execute(query):
            out[kept_in][f"{kind}s_{outcome}"] = n
    return out


async def top_exposures(
    conn: AsyncConnection, day: date, top: int, currency: str | None = None
) -> dict[str, list[Exposure]]:
    """Per currency, the `top` accounts by exposure on the day (outstanding + uninvoiced
    - unapplied cash), then by code. A conversion never reorders one currency's
    accounts: the portfolio's largest converted exposures are among these."""
    signed = case((L.measure == "unapplied", -L.amount), else_=L.amount)
    by_account = (
        select(L.account, func.sum(signed).label("exposure"))
        .where(L.measure.in_(("receivable", "uninvoiced", "unapplied")), L.effective_date <= day)
        .group_by(L.account)
        .subquery()
    )
    rank = func.row_number().over(partition_by=A.currency, order_by=(by_account.c.exposure.desc(), A.account))
    ranked = select(A.account, A.name, A.currency, A.credit_limit, by_account.c.exposure, rank.label("rank")).join(
        by_account, by_account.c.account == A.account
    )
    if currency is not None:
        ranked = ranked.where(A.currency == currency)
    listed = ranked.subquery()
    rows = await conn.execute(select(listed).where(listed.c.rank <= top).order_by(listed.c.currency, listed.c.rank))
    out: defaultdict[str, list[Exposure]] = defaultdict(list)
    for r in rows:
        out[r.currency].append(
            Exposure(r.account, r.name, r.currency, from_units(r.exposure), from_units(r.credit_limit))
        )
    return out


async def budget_of(conn: AsyncConnection, month: str) -> dict[str, Decimal] | None:
    figures = await conn.scalar(select(schema.budgets.c.figures).where(schema.budgets.c.month == month))
    return None if figures is None else {name: Decimal(value) for name, value in figures.items()}
