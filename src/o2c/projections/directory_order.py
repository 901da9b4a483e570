"""How the account directory sorts, and where a page starts: each sort is a list of
keys ending with the code, so no two rows tie and a cursor (the keys of the last
row listed) says exactly where the next page begins. A row without the figure (no
credit limit, no risk review yet) comes last in either direction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from o2c.projections import schema

A, C = schema.accounts.c, schema.collections.c
SORTS = ("account", "name", "outstanding", "overdue", "exposure", "utilization", "oldest_days_past_due",
         "risk_points")  # fmt: skip
AMOUNTS = ("outstanding", "overdue", "exposure")
NO_DATE, NO_UNITS = literal(None), literal(0)  # stand-ins where a sort does not need the figure


@dataclass(frozen=True)
class Key:
    expr: ColumnElement[Any]
    descending: bool
    kind: str  # text | int | real | date: how a cursor writes it


@dataclass(frozen=True)
class Order:
    sort: str = "account"
    descending: bool = False
    currency: str | None = None  # the listing's only currency, if it asks for one
    # Amounts sorted converted (reporting units per unit of each currency), else
    # within their currency (currency first) unless one currency is asked for.
    rates: Mapping[str, float] | None = None

    def keys(self, today: date, since: Any = NO_DATE, overdue: Any = NO_UNITS) -> list[Key]:
        """`since`: the oldest due date past due (null: nothing overdue), needed by its
        sort; `overdue`: the units overdue (sorted by overdue, the rows are ranked in
        memory: directory.page)."""
        d, sort = self.descending, self.sort
        code = Key(A.account, d and sort == "account", "text")
        if sort == "account":
            return [code]
        if sort == "name":
            return [Key(A.name_key, d, "text"), code]
        if sort in AMOUNTS:
            figure = {"outstanding": A.outstanding, "exposure": A.exposure, "overdue": overdue}[sort]
            if self.rates is not None:
                rate = case({c: literal(r, Float) for c, r in self.rates.items()}, value=A.currency)
                return [Key(cast(figure, Float) * rate, d, "real"), code]
            if self.currency is not None:
                return [Key(figure, d, "int"), code]
            return [Key(A.currency, False, "text"), Key(figure, d, "int"), code]
        if sort == "utilization":
            ratio = case((A.credit_limit > 0, cast(A.exposure, Float) / cast(A.credit_limit, Float)), else_=0.0)
            return [Key(case((A.credit_limit > 0, 0), else_=1), False, "int"), Key(ratio, d, "real"), code]
        if sort == "oldest_days_past_due":
            # More days past due is an older due date; nothing overdue is 0 days.
            late = since.is_not(None)
            return [Key(case((late, 0), else_=1), not d, "int"), Key(func.coalesce(since, today), not d, "date"), code]
        assert sort == "risk_points", sort
        points = C.risk_points
        return [Key(case((points.is_(None), 1), else_=0), False, "int"), Key(func.coalesce(points, 0.0), d, "real"),
                code]  # fmt: skip

    def kinds(self) -> list[str]:
        return [key.kind for key in self.keys(date.min)]

    def tag(self) -> str:
        """What a cursor is good for: this sort, order, and grouping or conversion."""
        grouping = "converted" if self.rates is not None else ("one" if self.currency else "grouped")
        return f"{self.sort}.{'desc' if self.descending else 'asc'}.{grouping}"

    def named(self) -> list[str]:
        """The keys as the answer names them (`sorted_by`)."""
        if self.sort == "account":
            return ["account"]
        if self.sort in AMOUNTS and self.rates is not None:
            return [f"converted_{self.sort}", "account"]
        grouped = self.sort in AMOUNTS and self.currency is None
        return [*(["currency"] if grouped else []), self.sort, "account"]


def after(keys: Sequence[Key], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows beyond `values` in the order of `keys` (each key in its own direction)."""
    beyond = []
    for i, key in enumerate(keys):
        further = key.expr < values[i] if key.descending else key.expr > values[i]
        beyond.append(and_(*(k.expr == v for k, v in zip(keys[:i], values[:i], strict=True)), further))
    return or_(*beyond)
