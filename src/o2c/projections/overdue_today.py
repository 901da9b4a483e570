"""What is overdue today under the plans' schedules: every recorded fact counted,
an invoice no plan names by its own due date, one a plan names (and still open) by
its receivable lines as of today, which carry the plans' due dates
(domain/schedules.py). `overdue_parts` is that rule, which the account summary
sums for one account (queries.account_with_overdue).

For every account at once (the directory's filter, sorts and rows): `units`
overdue and `since`, the oldest due date with something past due (days past due
follow from it); worked out in two reads (every account by its invoices' own dates
from the open invoices' index, then the few with invoices a plan names from their
lines), which directory_context keeps while the day and the read model stay. The
credit check asks the same of one account."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Date, String, and_, case, column, exists, func, select, text, true, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c.projections import schema

INV, L, T = schema.invoices.c, schema.lines.c, schema.timed_conditions.c


class Overdue(NamedTuple):
    units: Any  # 1/10,000 currency units (int or Decimal, as the store gives them)
    since: date | None  # the oldest due date past due; none: nothing is


NOTHING = Overdue(0, None)


def _of(account_column: Any, account: str | None) -> ColumnElement[bool]:
    return true() if account is None else account_column == account


def _simple(today: date, account: str | None) -> Any:
    """(account, units, since) by the invoices' own due dates: right for every account
    with no invoice a plan names."""
    return (
        select(INV.account, func.sum(INV.open_balance), func.min(INV.due_date))
        .where(INV.due_date < today, INV.open_balance > 0, _of(INV.account, account))
        .group_by(INV.account)
    )


def overdue_parts(today: date, account: str | None) -> Any:
    """(account, units, due date) of what is open past due on `today`: the invoices no
    plan names by their own dates, those a plan names by their lines. Of the one
    `account`; without one, of every account with invoices a plan names (the others: `_simple`)."""
    planned = (
        select(T.account, T.subject.label("invoice_id"))
        .where(T.type == "overdue", _of(T.account, account))
        .subquery("planned")
    )
    is_planned = exists().where(planned.c.account == INV.account, planned.c.invoice_id == INV.invoice_id)
    on_accounts = INV.account.in_(select(planned.c.account)) if account is None else INV.account == account
    own = select(INV.account, INV.open_balance.label("units"), INV.due_date).where(
        on_accounts, INV.due_date < today, INV.open_balance > 0, ~is_planned
    )
    scheduled = (
        select(L.account, func.sum(L.amount).label("units"), L.due_date)
        .select_from(planned)
        .join(schema.invoices, and_(INV.account == planned.c.account, INV.invoice_id == planned.c.invoice_id))
        .join(schema.lines, and_(L.account == planned.c.account, L.ref == planned.c.invoice_id))
        .where(L.measure == "receivable", L.due_date < today, L.effective_date <= today, INV.open_balance > 0)
        .group_by(L.account, L.ref, L.due_date)
    )
    return union_all(own, scheduled).subquery("parts")


async def overdue_by_account(
    conn: AsyncConnection, today: date, account: str | None = None
) -> tuple[dict[str, Overdue], frozenset[str]]:
    """Each account (or the one `account`) with something overdue today -> what; and the
    accounts with invoices a plan names (their figures follow the plans)."""
    found = {code: Overdue(units, since) for code, units, since in await conn.execute(_simple(today, account))}
    named = select(T.account).where(T.type == "overdue", _of(T.account, account))
    planned = frozenset((await conn.execute(named)).scalars())
    for code in planned:
        found.pop(code, None)
    parts = overdue_parts(today, account)
    rows = await conn.execute(
        select(
            parts.c.account, func.sum(parts.c.units), func.min(case((parts.c.units > 0, parts.c.due_date)))
        ).group_by(parts.c.account)
    )
    found.update({code: Overdue(units, since) for code, units, since in rows})
    return found, planned


def as_rows(overdue: Mapping[str, Overdue], accounts: Iterable[str], dialect: str) -> Any:
    """What `accounts` have overdue as a table (account, units, since) for a query to
    join, in as many parameters whatever their number (a statement the store has
    prepared already); none without accounts."""
    codes = sorted(accounts)
    if not codes:
        return None
    found = [overdue.get(code, NOTHING) for code in codes]
    units, since = [int(o.units or 0) for o in found], [o.since for o in found]
    columns = (column("account", String), column("units", schema.AMOUNT), column("since", Date))
    if dialect == "postgresql":  # one array per column, unnested
        rows = text(
            "SELECT * FROM unnest(CAST(:accounts AS VARCHAR[]), CAST(:units AS NUMERIC[]), CAST(:since AS DATE[])) "
            "AS overdue(account, units, since)"
        ).bindparams(accounts=codes, units=units, since=since)
    else:  # SQLite: one JSON array of rows
        listed = [[c, u, d and d.isoformat()] for c, u, d in zip(codes, units, since, strict=True)]
        rows = text(
            "SELECT json_extract(value, '$[0]') AS account, json_extract(value, '$[1]') AS units, "
            "json_extract(value, '$[2]') AS since FROM json_each(:rows)"
        ).bindparams(rows=json.dumps(listed))
    return rows.columns(*columns).subquery("overdue")
