"""Reads of the read model (async: asyncpg on PostgreSQL, aiosqlite on
SQLite). Every past date is a sum of dated lines up to it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c.domain.money import ZERO
from o2c.domain.receivables import COUNTBACK_LIMIT_DAYS, Dso, age, dso
from o2c.projections import schema
from o2c.projections.projector import VIEW
from o2c.projections.units import from_units

L, INV, A = schema.lines.c, schema.invoices.c, schema.accounts.c
PR, PB = schema.portfolio_receivables.c, schema.portfolio_balances.c


async def projected_position(conn: AsyncConnection) -> int:
    found = await conn.scalar(select(schema.tracking.c.position).where(schema.tracking.c.view == VIEW))
    return int(found or 0)


async def account_row(conn: AsyncConnection, code: str) -> Row[Any] | None:
    return (await conn.execute(select(schema.accounts).where(A.account == code))).first()


async def collection_row(conn: AsyncConnection, code: str) -> Row[Any] | None:
    c = schema.collections.c
    query = select(c.risk_class, c.risk, c.formal_notice_open).where(c.account == code)
    return (await conn.execute(query)).first()


async def overdue_now(conn: AsyncConnection, code: str, today: date) -> Decimal:
    total = await conn.scalar(
        select(func.sum(INV.open_balance)).where(INV.account == code, INV.due_date < today, INV.open_balance > 0)
    )
    return from_units(total)


async def open_invoices(conn: AsyncConnection, code: str, after: tuple[str, str] | None, limit: int) -> list[Row[Any]]:
    query = select(schema.invoices).where(INV.account == code, INV.open_balance > 0)
    if after is not None:
        due, invoice_id = date.fromisoformat(after[0]), after[1]
        query = query.where((INV.due_date > due) | ((INV.due_date == due) & (INV.invoice_id > invoice_id)))
    return list((await conn.execute(query.order_by(INV.due_date, INV.invoice_id).limit(limit))).all())


# -- as of a business date -------------------------------------------------------------


async def receivables_by_due_date(
    conn: AsyncConnection, accounts: Sequence[str] | None, as_of: date
) -> dict[str | None, dict[date, Decimal]]:
    """Open balances at `as_of` by due date, per account (or the portfolio under None)."""
    out: dict[str | None, dict[date, Decimal]] = defaultdict(dict)
    if accounts is None:
        rows = await conn.execute(
            select(PR.due_date, func.sum(PR.amount)).where(PR.effective_date <= as_of).group_by(PR.due_date)
        )
        for due_date, units in rows:
            out[None][due_date] = from_units(units)
        return out
    rows = await conn.execute(
        select(L.account, L.due_date, func.sum(L.amount))
        .where(L.account.in_(accounts), L.measure == "receivable", L.effective_date <= as_of)
        .group_by(L.account, L.due_date)
    )
    for account, due_date, units in rows:
        out[account][due_date] = from_units(units)
    return out


async def balances(
    conn: AsyncConnection, accounts: Sequence[str] | None, as_of: date, measures: Sequence[str]
) -> dict[str | None, dict[str, Decimal]]:
    """Unapplied cash, uninvoiced, disputed… at `as_of`, per account or for the portfolio."""
    out: dict[str | None, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(measures, ZERO))
    if accounts is None:
        rows = await conn.execute(
            select(PB.measure, func.sum(PB.amount))
            .where(PB.measure.in_(measures), PB.effective_date <= as_of)
            .group_by(PB.measure)
        )
        for measure, units in rows:
            out[None][measure] = from_units(units)
        return out
    rows = await conn.execute(
        select(L.account, L.measure, func.sum(L.amount))
        .where(L.account.in_(accounts), L.measure.in_(measures), L.effective_date <= as_of)
        .group_by(L.account, L.measure)
    )
    for account, measure, units in rows:
        out[account][measure] = from_units(units)
    return out


async def open_items_as_of(conn: AsyncConnection, code: str, as_of: date) -> list[tuple[Row[Any], Decimal, Decimal]]:
    """(invoice, open balance, disputed) of one account's open invoices at `as_of`."""
    balance = (
        select(L.ref, func.sum(L.amount).label("units"))
        .where(L.account == code, L.measure == "receivable", L.effective_date <= as_of)
        .group_by(L.ref)
        .subquery()
    )
    disputed = dict(
        (
            await conn.execute(
                select(L.ref, func.sum(L.amount))
                .where(L.account == code, L.measure == "disputed", L.effective_date <= as_of)
                .group_by(L.ref)
            )
        ).all()
    )
    rows = await conn.execute(
        select(schema.invoices, balance.c.units)
        .join(balance, (INV.invoice_id == balance.c.ref) & (INV.account == code))
        .where(balance.c.units > 0)
        .order_by(INV.due_date, INV.invoice_id)
    )
    return [(row, from_units(row.units), from_units(disputed.get(row.invoice_id))) for row in rows]


async def sales_by_day(conn: AsyncConnection, code: str | None, as_of: date) -> dict[date, Decimal]:
    since = as_of - timedelta(days=max(COUNTBACK_LIMIT_DAYS, 366) + 1)
    if code is None:
        rows = await conn.execute(
            select(PB.effective_date, PB.amount).where(
                PB.measure == "sales", PB.effective_date > since, PB.effective_date <= as_of
            )
        )
    else:
        rows = await conn.execute(
            select(INV.issue_date, func.sum(INV.amount))
            .where(INV.account == code, INV.issue_date > since, INV.issue_date <= as_of)
            .group_by(INV.issue_date)
        )
    return {day: from_units(units) for day, units in rows}


async def dso_as_of(conn: AsyncConnection, code: str | None, as_of: date, days: int, method: str) -> Dso:
    accounts = None if code is None else [code]
    by_due = (await receivables_by_due_date(conn, accounts, as_of)).get(code, {})
    unapplied = (await balances(conn, accounts, as_of, ["unapplied"]))[code]["unapplied"]
    outstanding = sum(by_due.values(), ZERO)
    not_yet_due = sum((b for d, b in by_due.items() if d >= as_of), ZERO)
    return dso(
        outstanding=outstanding,
        unapplied=unapplied,
        not_yet_due=not_yet_due,
        overdue=outstanding - not_yet_due,
        sales_by_day=await sales_by_day(conn, code, as_of),
        as_of=as_of,
        days=days,
        method=method,
    )


def aged(by_due: dict[date, Decimal], as_of: date, boundaries: Sequence[int]) -> dict[str, Decimal]:
    return age(by_due, as_of, boundaries)
