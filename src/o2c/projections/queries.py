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
from o2c.domain.receivables import COUNTBACK_LIMIT_DAYS, ReceivablesPosition
from o2c.projections import schema
from o2c.projections.overdue_today import overdue_parts
from o2c.projections.partitions import reached_position
from o2c.projections.projector import VIEW
from o2c.projections.reviewed import REVIEWED_POSITION
from o2c.projections.units import from_units

L, INV, A = schema.lines.c, schema.invoices.c, schema.accounts.c
PR, PB = schema.portfolio_receivables.c, schema.portfolio_balances.c
_AGING_MEASURES = ("receivable", "unapplied", "disputed")


async def projected_position(conn: AsyncConnection, kafka_topic: str | None = None) -> int:
    """Where the read model is for read-your-writes: the lesser of the facts' position
    and the risk review's (projections/reviewed.py); built by Kafka workers from
    `kafka_topic`, where their partitions have reached (partitions.py: they review in
    the batch's transaction)."""
    if kafka_topic is not None:
        return int(await conn.scalar(reached_position(kafka_topic)) or 0)
    t = schema.tracking.c
    rows = await conn.execute(select(t.view, t.position).where(t.view.in_((VIEW, REVIEWED_POSITION))))
    found = {row.view: row.position for row in rows}
    return min(int(found.get(VIEW) or 0), int(found.get(REVIEWED_POSITION) or 0))


async def account_row(conn: AsyncConnection, code: str) -> Row[Any] | None:
    return (await conn.execute(select(schema.accounts).where(A.account == code))).first()


async def account_with_overdue(conn: AsyncConnection, code: str, today: date) -> Row[Any] | None:
    """The account's row and, as `overdue_units`, what is open past due on `today`
    under the plans' schedules (overdue_today.py). One round trip where two would do."""
    parts = overdue_parts(today, code)
    overdue = select(func.sum(parts.c.units)).scalar_subquery()
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
    conn: AsyncConnection, accounts: Sequence[str], as_of: date
) -> dict[str, dict[date, Decimal]]:
    """Open balances at `as_of` by due date, per account."""
    out: dict[str, dict[date, Decimal]] = defaultdict(dict)
    rows = await conn.execute(
        select(L.account, L.due_date, func.sum(L.amount))
        .where(L.account.in_(accounts), L.measure == "receivable", L.effective_date <= as_of)
        .group_by(L.account, L.due_date)
    )
    for account, due_date, units in rows:
        out[account][due_date] = from_units(units)
    return out


async def balances(
    conn: AsyncConnection, accounts: Sequence[str], as_of: date, measures: Sequence[str]
) -> dict[str, dict[str, Decimal]]:
    """Unapplied cash, uninvoiced, disputed… at `as_of`, per account."""
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(measures, ZERO))
    rows = await conn.execute(
        select(L.account, L.measure, func.sum(L.amount))
        .where(L.account.in_(accounts), L.measure.in_(measures), L.effective_date <= as_of)
        .group_by(L.account, L.measure)
    )
    for account, measure, units in rows:
        out[account][measure] = from_units(units)
    return out


# -- the portfolio, currency by currency (amounts in two currencies never add up) -----------


async def portfolio_currencies(conn: AsyncConnection, currency: str | None = None) -> list[str]:
    """The currencies accounts are kept in (only `currency`, if some are), by code."""
    query = select(A.currency).distinct().order_by(A.currency)
    if currency is not None:
        query = query.where(A.currency == currency)
    return list((await conn.execute(query)).scalars())


async def top_exposures(conn: AsyncConnection, top: int, currency: str) -> list[Row[Any]]:
    """The `top` accounts kept in `currency` with the largest exposure (then by code).
    A conversion never reorders accounts of one currency: the largest converted
    exposures of the portfolio are among the largest of each currency."""
    query = select(schema.accounts).where(A.currency == currency).order_by(A.exposure.desc(), A.account)
    return list((await conn.execute(query.limit(top))).all())


async def portfolio_receivables(
    conn: AsyncConnection, as_of: date, currency: str | None = None
) -> dict[str, dict[date, Decimal]]:
    """Open balances at `as_of` by due date, per currency, from the portfolio's sums."""
    query = select(PR.currency, PR.due_date, func.sum(PR.amount)).where(PR.effective_date <= as_of)
    if currency is not None:
        query = query.where(PR.currency == currency)
    out: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for code, due_date, units in await conn.execute(query.group_by(PR.currency, PR.due_date)):
        out[code][due_date] = from_units(units)
    return out


async def portfolio_balances(
    conn: AsyncConnection, as_of: date, measures: Sequence[str], currency: str | None = None
) -> dict[str, dict[str, Decimal]]:
    """Unapplied cash, uninvoiced, disputed… at `as_of`, per currency (a currency with
    none of them is absent)."""
    query = select(PB.currency, PB.measure, func.sum(PB.amount)).where(
        PB.measure.in_(measures), PB.effective_date <= as_of
    )
    if currency is not None:
        query = query.where(PB.currency == currency)
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(measures, ZERO))
    for code, measure, units in await conn.execute(query.group_by(PB.currency, PB.measure)):
        out[code][measure] = from_units(units)
    return out


async def portfolio_aging(
    conn: AsyncConnection, as_of: date, boundaries: Sequence[int], currency: str | None = None
) -> dict[str, tuple[list[Decimal], Decimal, Decimal]]:
    """Per currency with lines: (open balances by aging bucket, unapplied cash, disputed)
    at `as_of`, summed by SQL from the portfolio's sums (a row per currency)."""
    buckets = [func.sum(PR.amount).filter(f) for f in bucket_filters(PR.due_date, as_of, boundaries)]
    query = select(PR.currency, *buckets).where(PR.effective_date <= as_of)
    if currency is not None:
        query = query.where(PR.currency == currency)
    out = {code: ([from_units(units) for units in by_bucket], ZERO, ZERO)
           for code, *by_bucket in await conn.execute(query.group_by(PR.currency))}  # fmt: skip
    nothing = [ZERO] * (len(boundaries) + 2)
    for code, sums in (await portfolio_balances(conn, as_of, ["unapplied", "disputed"], currency)).items():
        out[code] = (out.get(code, (nothing, ZERO, ZERO))[0], sums["unapplied"], sums["disputed"])
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


async def sales_by_day(
    conn: AsyncConnection, code: str | None, as_of: date, currency: str | None = None
) -> dict[str, dict[date, Decimal]]:
    """Invoiced sales by issue date over the year before `as_of` (what countback may
    walk), per currency: one account's, or the portfolio's (only `currency`, if given)."""
    since = as_of - timedelta(days=max(COUNTBACK_LIMIT_DAYS, 366) + 1)
    if code is None:
        query = select(PB.currency, PB.effective_date, PB.amount).where(
            PB.measure == "sales", PB.effective_date > since, PB.effective_date <= as_of
        )
        if currency is not None:
            query = query.where(PB.currency == currency)
    else:
        query = (
            select(A.currency, INV.issue_date, func.sum(INV.amount))
            .join(schema.accounts, A.account == INV.account)
            .where(INV.account == code, INV.issue_date > since, INV.issue_date <= as_of)
            .group_by(A.currency, INV.issue_date)
        )
    out: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for kept_in, day, units in await conn.execute(query):
        out[kept_in][day] = from_units(units)
    return out


async def receivables_positions(
    conn: AsyncConnection, as_of: date, account: Row[Any] | None = None, currency: str | None = None
) -> dict[str, ReceivablesPosition]:
    """What DSO is worked out from at `as_of`, per currency: one account's (its row given),
    or the portfolio's (every currency accounts are kept in, or only `currency`)."""
    if account is not None:
        code = account.account
        held = [account.currency] if currency in (None, account.currency) else []
        by_due = {account.currency: (await receivables_by_due_date(conn, [code], as_of)).get(code, {})}
        unapplied = {account.currency: (await balances(conn, [code], as_of, ["unapplied"]))[code]}
    else:
        code = None
        held = await portfolio_currencies(conn, currency)
        by_due = await portfolio_receivables(conn, as_of, currency)
        unapplied = await portfolio_balances(conn, as_of, ["unapplied"], currency)
    sales = await sales_by_day(conn, code, as_of, currency)
    out = {}
    for kept_in in held:
        dues = by_due.get(kept_in, {})
        out[kept_in] = ReceivablesPosition.of(
            outstanding=sum(dues.values(), ZERO),
            unapplied=unapplied.get(kept_in, {}).get("unapplied", ZERO),
            not_yet_due=sum((b for d, b in dues.items() if d >= as_of), ZERO),
            sales_by_day=sales.get(kept_in, {}),
        )
    return out
