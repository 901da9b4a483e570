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
from dataclasses import dataclass, field
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
from o2c.projections.overdue_today import Overdue, as_rows, planned_overdue, simple_by_account

A, C, P, S, TR = schema.accounts.c, schema.collections.c, schema.parked.c, schema.scenarios.c, schema.tracking.c
SEPARATOR = "\n"  # between the code and the name in `search`: no code or name holds a control character
_OVERDUE_SORTS = ("overdue", "oldest_days_past_due")


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
    """What every listing of a day needs besides its own query: the scenarios, and
    what the accounts with invoices a plan names have overdue (overdue_today.py)."""

    scenarios: Scenarios
    planned: dict[str, Overdue]


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
    found = Context(await _scenarios(conn), await planned_overdue(conn, today))
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
    # The accounts with invoices a plan names, and what they have overdue today (overdue_today.py).
    planned: dict[str, Overdue] = field(default_factory=dict)
    dialect: str = "sqlite"  # of the store asked: how `planned` is handed to it


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


def _source(listing: Listing) -> tuple[Any, Any, Any]:
    """What the listing reads from, with the overdue figures it needs: `since` (the
    oldest due date past due) and the units overdue. An account with invoices a plan
    names takes its figures from `listing.planned`."""
    sort = listing.order.sort
    source: Any = schema.accounts
    if listing.risk_classes or listing.scenario is not None or sort == "risk_points":
        source = source.outerjoin(schema.collections, C.account == A.account)
    wanted = listing.overdue is not None or sort in _OVERDUE_SORTS
    planned = as_rows(listing.planned, listing.dialect) if wanted else None
    if planned is not None:
        source = source.outerjoin(planned, planned.c.account == A.account)
    since = None
    if listing.overdue is not None or sort == "oldest_days_past_due":
        since = case((A.oldest_due_date < listing.today, A.oldest_due_date))
        if planned is not None:
            since = type_coerce(case((planned.c.account.is_not(None), planned.c.since), else_=since), Date)
    units = None
    if sort == "overdue":
        simple = simple_by_account(listing.today)
        source = source.outerjoin(simple, simple.c.account == A.account)
        units = func.coalesce(simple.c.units, 0)
        if planned is not None:
            units = case((planned.c.account.is_not(None), planned.c.units), else_=units)
    return source, since, units


async def page(
    conn: AsyncConnection, listing: Listing, start_after: Sequence[Any] | None, limit: int | None
) -> list[Row[Any]]:
    """Up to `limit` rows (all, without) after the cursor's keys, in order, with their
    keys as k0, k1 … and, as `overdue_units` and `overdue_since`, what they have overdue
    by their invoices' own dates (an account with invoices a plan names: `listing.planned`)."""
    source, since, units = _source(listing)
    keys = listing.order.keys(listing.today, since, units)
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
    found = chosen.cte("page")
    overdue = simple_by_account(listing.today, select(found.c.code))
    key_columns = [found.c[f"k{i}"] for i in range(len(keys))]
    query = (
        select(
            schema.accounts,
            *key_columns,
            class_in_force().label("class_in_force"),
            C.risk["points"].as_string().label("points"),
            scenario_of(listing).label("scenario"),
            is_parked().label("is_parked"),
            overdue.c.units.label("overdue_units"),
            overdue.c.since.label("overdue_since"),
        )
        .select_from(found)
        .join(schema.accounts, A.account == found.c.code)
        .outerjoin(schema.collections, C.account == A.account)
        .outerjoin(overdue, overdue.c.account == A.account)
        .order_by(*(c.desc() if k.descending else c for c, k in zip(key_columns, keys, strict=True)))
    )
    return list((await conn.execute(query)).all())


async def totals(conn: AsyncConnection, listing: Listing) -> list[Row[Any]]:
    """Per currency of the rows listed (by code): how many, and their kept amounts summed
    (not what is overdue today: that would read every open invoice of every row)."""
    source, since, _ = _source(listing)
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
