"""Reads of the read model (async: asyncpg on PostgreSQL, aiosqlite on
SQLite). Every past date is a sum of dated lines up to it."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c.domain.money import ZERO
from o2c.domain.receivables import COUNTBACK_LIMIT_DAYS, Dso, age, dso
from o2c.projections import schema
from o2c.projections.projector import VIEW
from o2c.projections.units import from_units

L, INV, A = schema.lines.c, schema.invoices.c, schema.accounts.c
PR, PB = schema.portfolio_receivables.c, schema.portfolio_balances.c
_AGING_MEASURES = ("receivable", "unapplied", "disputed")


async def projected_position(conn: AsyncConnection) -> int:
    found = await conn.scalar(select(schema.tracking.c.position).where(schema.tracking.c.view == VIEW))
    return int(found or 0)


async def account_row(conn: AsyncConnection, code: str) -> Row[Any] | None:
    return (await conn.execute(select(schema.accounts).where(A.account == code))).first()


async def account_with_overdue(conn: AsyncConnection, code: str, today: date) -> Row[Any] | None:
    """The account's row and, as `overdue_units`, what is open past due on `today`
    (every recorded fact counted): one round trip where two would do."""
    overdue = (
        select(func.sum(INV.open_balance))
        .where(INV.account == A.account, INV.due_date < today, INV.open_balance > 0)
        .scalar_subquery()
    )
    query = select(schema.accounts, overdue.label("overdue_units")).where(A.account == code)
    return (await conn.execute(query)).first()


async def collection_row(conn: AsyncConnection, code: str) -> Row[Any] | None:
    c = schema.collections.c
    query = select(c.risk_class, c.risk, c.formal_notice_open).where(c.account == code)
    return (await conn.execute(query)).first()


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


@dataclass(frozen=True)
class AccountAging:
    items: list[tuple[str, date, Decimal, Decimal]]  # (invoice, due date, open balance, disputed), by due date
    unapplied: Decimal
    disputed: Decimal


async def account_aging(conn: AsyncConnection, code: str, as_of: date) -> AccountAging | None:
    """One account at `as_of`: its open invoices (with what is disputed on each), its
    unapplied cash and disputed total; None if there is no such account. One round
    trip, for a view that must answer in milliseconds: the account's row is joined
    to its lines, so an unknown account yields no row at all. A receivable line
    carries its invoice's due date (fixed when the invoice is issued), so the lines
    alone answer: an index-only scan where the covering index exists."""
    sums = (
        select(L.measure, L.ref, L.due_date, func.sum(L.amount).label("units"))
        .where(L.account == code, L.measure.in_(_AGING_MEASURES), L.effective_date <= as_of)
        .group_by(L.measure, L.ref, L.due_date)
        .subquery()
    )
    rows = (
        await conn.execute(
            select(sums.c.measure, sums.c.ref, sums.c.due_date, sums.c.units)
            .select_from(schema.accounts)
            .outerjoin(sums, true())
            .where(A.account == code)
            .order_by(sums.c.due_date, sums.c.ref)
        )
    ).all()
    if not rows:
        return None
    disputed: defaultdict[str, int] = defaultdict(int)
    unapplied = 0
    for row in rows:
        if row.measure == "disputed":
            disputed[row.ref] += row.units
        elif row.measure == "unapplied":
            unapplied += row.units
    items = [
        (row.ref, row.due_date, from_units(row.units), from_units(disputed.get(row.ref)))
        for row in rows
        if row.measure == "receivable" and row.units > 0
    ]
    return AccountAging(items, from_units(unapplied), from_units(sum(disputed.values())))


def bucket_filters(due_date: Any, as_of: date, boundaries: Sequence[int]) -> list[ColumnElement[bool]]:
    """Each aging bucket (`current`, `1-30`, …, `120+`) as a range of due dates, so SQL
    sums the buckets: d days past due on `as_of` is a due date of as_of - d."""
    edges = [as_of, *(_days_before(as_of, days) for days in boundaries)]
    filters = [due_date >= as_of]  # 0 or fewer days past due
    filters += [(due_date >= older) & (due_date < newer) for newer, older in itertools.pairwise(edges)]
    filters.append(due_date < edges[-1])
    return filters


def _days_before(day: date, days: int) -> date:
    # A boundary further back than the calendar goes takes in every due date.
    return date.min if days >= (day - date.min).days else day - timedelta(days=days)


async def aging_by_account(
    conn: AsyncConnection, accounts: Sequence[str], as_of: date, boundaries: Sequence[int]
) -> dict[str, tuple[list[Decimal], Decimal, Decimal]]:
    """Per account with lines: (open balances by aging bucket, unapplied cash, disputed)
    at `as_of`, summed by SQL (a row per account, not one per due date)."""
    receivable = L.measure == "receivable"
    buckets = [func.sum(L.amount).filter(receivable & f) for f in bucket_filters(L.due_date, as_of, boundaries)]
    rows = await conn.execute(
        select(
            L.account,
            func.sum(L.amount).filter(L.measure == "unapplied"),
            func.sum(L.amount).filter(L.measure == "disputed"),
            *buckets,
        )
        .where(L.account.in_(accounts), L.measure.in_(_AGING_MEASURES), L.effective_date <= as_of)
        .group_by(L.account)
    )
    return {
        account: ([from_units(units) for units in by_bucket], from_units(unapplied), from_units(disputed))
        for account, unapplied, disputed, *by_bucket in rows
    }


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
