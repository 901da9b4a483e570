"""The account directory: accounts found by code or name, filtered and sorted by
their headline figures, a page at a time. What a listing asks and holds:
directory_filters.py; its order: directory_order.py; what the projection keeps
for it: directory_columns.py; what its listings share on a day: directory_context.py.
The page is chosen on the sort's keys first, then only its rows are read in full.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c.projections import schema
from o2c.projections.directory_context import Context
from o2c.projections.directory_filters import Listing, class_in_force, conditions, from_accounts, is_parked, scenario_of
from o2c.projections.directory_order import after
from o2c.projections.directory_ranking import after as ranking_after

A, C = schema.accounts.c, schema.collections.c


Page = list[tuple[Row[Any], tuple[Any, ...]]]  # each row listed, with its sort keys


async def page(conn: AsyncConnection, listing: Listing, start_after: Sequence[Any] | None, limit: int | None) -> Page:
    """Up to `limit` rows (all, without) after the cursor's keys, in order. Sorted by
    overdue, the rows are ranked here, from what `overdue_now` holds (a figure of
    today no column keeps); by anything else, by the database."""
    if listing.order.sort == "overdue":
        ranked = await _ranked_by_overdue(conn, listing, start_after, limit)
        codes = [code for code, _ in ranked]
        listed = _rows(listing, schema.accounts.outerjoin(schema.collections, C.account == A.account))
        rows = {row.account: row for row in await conn.execute(listed.where(A.account.in_(codes)))}
        return [(rows[code], keys) for code, keys in ranked]
    source, since = from_accounts(listing)
    keys = listing.order.keys(listing.today, since)
    chosen = (
        select(A.account.label("code"), *(k.expr.label(f"k{i}") for i, k in enumerate(keys)))
        .select_from(source)
        .where(*conditions(listing, since))
    )
    if start_after is not None:
        chosen = chosen.where(after(keys, start_after))
    chosen = chosen.order_by(*(k.expr.desc() if k.descending else k.expr for k in keys))
    if limit is not None:
        chosen = chosen.limit(limit)
    found = chosen.subquery("page")
    key_columns = [found.c[f"k{i}"] for i in range(len(keys))]
    joined = found.join(schema.accounts, A.account == found.c.code)
    source = joined.outerjoin(schema.collections, C.account == A.account)
    ordered = [c.desc() if k.descending else c for c, k in zip(key_columns, keys, strict=True)]
    query = _rows(listing, source, *key_columns).order_by(*ordered)
    return [(row, tuple(row[-len(keys) :])) for row in await conn.execute(query)]


def _rows(listing: Listing, source: Any, *extra: Any) -> Any:
    """The rows' figures: the account's row, its class in force, risk points, scenario,
    parked (`source` joins the accounts and their collections)."""
    return select(
        schema.accounts,
        class_in_force().label("class_in_force"),
        C.risk["points"].as_string().label("points"),
        scenario_of(listing).label("scenario"),
        is_parked().label("is_parked"),
        *extra,
    ).select_from(source)


async def _ranked_by_overdue(
    conn: AsyncConnection, listing: Listing, start_after: Sequence[Any] | None, limit: int | None
) -> list[tuple[str, tuple[Any, ...]]]:
    """(code, keys) of the page, from the day's ranking (directory_ranking.py)."""
    order = listing.order
    entries = await listing.rankings.ranked(conn, order, listing.today)
    if order.currency is not None:
        entries = [entry for entry in entries if entry[2] == order.currency]
    if listing.overdue is not None:  # what is overdue now is at hand: no need to ask the database
        overdue = listing.overdue_now
        entries = [e for e in entries if (e[1] in overdue and overdue[e[1]].since is not None) == listing.overdue]
    filters = (listing.search, listing.scenario, listing.over_limit, listing.disputed, listing.parked)
    if listing.risk_classes or any(f is not None for f in filters):  # those the database answers
        source, since = from_accounts(replace(listing, overdue=None))
        listed = select(A.account).select_from(source).where(*conditions(replace(listing, overdue=None), since))
        wanted = set((await conn.execute(listed)).scalars())
        entries = [entry for entry in entries if entry[1] in wanted]
    start = ranking_after(entries, start_after, order, listing.today)
    chosen = entries[start:] if limit is None else entries[start : start + limit]
    return [(code, keys) for _, code, _, keys in chosen]


KEPT_TOTALS = 64


def _filters(listing: Listing) -> tuple[Any, ...]:
    return (listing.search, listing.prefix, listing.currency, listing.risk_classes, listing.scenario,
            listing.overdue, listing.over_limit, listing.disputed, listing.parked)  # fmt: skip


def kept_totals(listing: Listing, known: Context) -> list[Row[Any]] | None:
    return known.totals.get(_filters(listing))


async def totals(conn: AsyncConnection, listing: Listing, known: Context | None = None) -> list[Row[Any]]:
    """Per currency of the rows listed (by code): how many, and their kept amounts summed
    (not what is overdue today: that would read every open invoice of every row); kept
    in `known` for the listing's other pages and sorts."""
    found = None if known is None else kept_totals(listing, known)
    if found is None:
        found = await _totals(conn, listing)
        if known is not None:
            known.totals[_filters(listing)] = found
            while len(known.totals) > KEPT_TOTALS:
                known.totals.pop(next(iter(known.totals)))
    return found


async def _totals(conn: AsyncConnection, listing: Listing) -> list[Row[Any]]:
    source, since = from_accounts(listing)
    query = (
        select(
            A.currency,
            func.count().label("accounts"),
            func.sum(A.credit_limit).label("credit_limit"),
            func.sum(A.outstanding).label("outstanding"),
            func.sum(A.exposure).label("exposure"),
            func.sum(A.disputed).label("disputed"),
        )
        .select_from(source)
        .where(*conditions(listing, since))
        .group_by(A.currency)
        .order_by(A.currency)
    )
    return list((await conn.execute(query)).all())
