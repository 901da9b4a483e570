"""The account directory: accounts found by code or name, filtered and sorted by
their headline figures, a page at a time (the order: directory_order.py).

The projection keeps on each account's row what the directory needs without
reading its invoices (`directory_columns`): its code and name folded (casefolded,
accents stripped: "societe" finds "Société"), the due date of its oldest open
invoice (overdue from the next day on, so "with overdue items" and "oldest days
past due" follow for any today) and its open disputes. An account with invoices
a plan names has them due on the plan's dates (overdue_today.py): its few rows
are worked out at the time of asking. The page is chosen on the sort's keys
first, then only its rows are read in full.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import Date, Row, case, exists, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from o2c.domain.account import CustomerAccount
from o2c.domain.agenda import UNRATED, resolve_scenario
from o2c.domain.cases import CollectionCase
from o2c.domain.scenarios import DEFAULT_SCENARIOS, RISK_CLASSES
from o2c.projections import schema
from o2c.projections.directory_order import Order, after
from o2c.projections.directory_ranking import Rankings
from o2c.projections.directory_ranking import after as ranking_after
from o2c.projections.overdue_today import Overdue, as_rows, overdue_by_account

A, C, P, S, TR = schema.accounts.c, schema.collections.c, schema.parked.c, schema.scenarios.c, schema.tracking.c
SEPARATOR = "\n"  # between the code and the name in `search`: no code or name holds a control character


def folded(text: str) -> str:
    """Casefolded, accents stripped: "Société" and "SOCIETE" are "societe", "Straße" is "strasse"."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def directory_columns(account: CustomerAccount) -> dict[str, Any]:
    """The account row's directory columns, from the account as projected."""
    name = folded(account.name)
    return {
        "name_key": name,
        "search": folded(account.id) + SEPARATOR + name,
        "oldest_due_date": min((i.due_date for i in account.invoices.values() if i.open_balance > 0), default=None),
        "open_disputes": sum(1 for d in account.disputes.values() if d.outcome is None),
    }


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


@dataclass(frozen=True)
class Listing:
    today: date
    scenarios: Scenarios
    search: str | None = None  # folded
    prefix: bool = False  # the code or the name begins with it (else: holds it anywhere)
    currency: str | None = None
    risk_classes: tuple[str, ...] = ()
    scenario: str | None = None
    overdue: bool | None = None  # with something past due today (or without)
    over_limit: bool | None = None
    disputed: bool | None = None  # with open disputes
    parked: bool | None = None
    order: Order = field(default_factory=Order)
    # What each account has overdue today, and the accounts with invoices a plan names (Context).
    overdue_now: dict[str, Overdue] = field(default_factory=dict)
    planned: frozenset[str] = frozenset()
    dialect: str = "sqlite"  # of the store asked: how those are handed to it
    rankings: Rankings = field(default_factory=lambda: Rankings({}))


def class_in_force() -> ColumnElement[Any]:
    # A credit manager's class is projected with its fact; the computed one comes with the review.
    return func.coalesce(A.risk_class, C.risk_class)


def scenario_of(listing: Listing) -> ColumnElement[Any]:
    by_class = case(dict(listing.scenarios.of_class), value=func.coalesce(class_in_force(), UNRATED), else_="")
    return case((C.scenario.in_(sorted(listing.scenarios.names)), C.scenario), else_=by_class)


def is_parked() -> ColumnElement[bool]:
    return exists().where(P.account == A.account)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(listing: Listing, since: Any) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if listing.search:
        text = _like(listing.search)
        if listing.prefix:  # the code begins the column, the name follows the separator
            found.append(or_(A.search.like(f"{text}%", escape="\\"),
                             A.search.like(f"%{SEPARATOR}{text}%", escape="\\")))  # fmt: skip
        else:
            found.append(A.search.like(f"%{text}%", escape="\\"))
    if listing.currency is not None:
        found.append(A.currency == listing.currency)
    if listing.risk_classes:
        found.append(class_in_force().in_(listing.risk_classes))
    if listing.scenario is not None:
        found.append(scenario_of(listing) == listing.scenario)
    if listing.overdue is not None:
        found.append(since.is_not(None) if listing.overdue else since.is_(None))
    if listing.over_limit is not None:
        over = A.exposure > A.credit_limit
        found.append(over if listing.over_limit else ~over)
    if listing.disputed is not None:
        found.append(A.open_disputes > 0 if listing.disputed else A.open_disputes == 0)
    if listing.parked is not None:
        found.append(is_parked() if listing.parked else ~is_parked())
    return found


def _source(listing: Listing) -> tuple[Any, Any]:
    """What the listing reads from and, when it needs it, `since` (the oldest due date
    past due: the row's oldest open invoice's, unless a plan names some of its invoices,
    from the listing's `overdue_now` handed to the query as a table)."""
    sort = listing.order.sort
    source: Any = schema.accounts
    if listing.risk_classes or listing.scenario is not None or sort == "risk_points":
        source = source.outerjoin(schema.collections, C.account == A.account)
    if listing.overdue is None and sort != "oldest_days_past_due":
        return source, None
    since: Any = case((A.oldest_due_date < listing.today, A.oldest_due_date))
    planned = as_rows(listing.overdue_now, listing.planned, listing.dialect)
    if planned is not None:
        source = source.outerjoin(planned, planned.c.account == A.account)
        since = type_coerce(case((planned.c.account.is_not(None), planned.c.since), else_=since), Date)
    return source, since


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
    source, since = _source(listing)
    keys = listing.order.keys(listing.today, since)
    chosen = (
        select(A.account.label("code"), *(k.expr.label(f"k{i}") for i, k in enumerate(keys)))
        .select_from(source)
        .where(*_conditions(listing, since))
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
        source, since = _source(replace(listing, overdue=None))
        listed = select(A.account).select_from(source).where(*_conditions(replace(listing, overdue=None), since))
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
    source, since = _source(listing)
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
        .where(*_conditions(listing, since))
        .group_by(A.currency)
        .order_by(A.currency)
    )
    return list((await conn.execute(query)).all())
