"""Which accounts a listing of the account directory holds: what it asks (`Listing`)
and its conditions in SQL, over the accounts' rows (directory_columns.py) and, for
the class in force and the scenario, their collections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Date, case, exists, func, or_, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from o2c.domain.agenda import UNRATED
from o2c.projections import schema
from o2c.projections.directory_columns import SEPARATOR
from o2c.projections.directory_context import Scenarios
from o2c.projections.directory_order import Order
from o2c.projections.directory_ranking import Rankings
from o2c.projections.overdue_today import Overdue, as_rows

A, C, P = schema.accounts.c, schema.collections.c, schema.parked.c


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


def conditions(listing: Listing, since: Any) -> list[ColumnElement[bool]]:
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


def from_accounts(listing: Listing) -> tuple[Any, Any]:
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
