"""The risk score of an account on a business date: how the customer has paid
(how late, how often, disputes, broken promises, how much is overdue now) and
the latest external rating, each measure normalized to 0 (best) … 1 (worst),
weighted, summed to 0 … 100 points and mapped to a class A (best) … E.

Behaviour is read as of `on`: only facts whose business date is on or before
`on` count, so a score can be recomputed for any past date. The rating has no
business date: the latest one known is used.

Every behaviour measure only worsens when the customer pays later (a payment
made later, or not yet made on `on`); the one exception is a payment moved
from before a promise was made into the promise's window, which keeps the
promise (see the README).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from fractions import Fraction

from o2c.domain.account import RISK_CLASSES, CustomerAccount
from o2c.domain.collections import promise_broken_on
from o2c.domain.items import Invoice, Movement
from o2c.domain.money import ZERO
from o2c.domain.valuation import position

ONE = Fraction(1)
# What decides is exact (fractions); what is shown is rounded: factors' points and
# weights to one decimal like the other rates of the service, the total rounded
# down, so that the points shown always fall in the band of the class they make.
POINT = Decimal("0.1")
SHOWN = Decimal("0.0001")

# Where a measure reaches its worst (normalized 1).
WORST_DAYS_LATE = Fraction(60)  # two months late on average: where the default credit hold starts
WORST_DISPUTE_SHARE = Fraction(1, 5)  # one invoice in five disputed
WORST_BROKEN_PROMISES = Fraction(3)

# Lower bounds of the classes B … E, in points.
CLASS_FLOORS = ((80, "E"), (60, "D"), (40, "C"), (20, "B"))

BEHAVIOUR = ("days_late", "late_share", "overdue_share", "disputes", "broken_promises")
FACTORS = (*BEHAVIOUR, "rating")


@dataclass(frozen=True)
class RiskWeights:
    """How much each factor counts (any non-negative numbers: they are scaled
    to 100 points), and the scale of the external rating's score."""

    days_late: Decimal = Decimal(30)
    late_share: Decimal = Decimal(20)
    overdue_share: Decimal = Decimal(20)
    disputes: Decimal = Decimal(10)
    broken_promises: Decimal = Decimal(10)
    rating: Decimal = Decimal(10)
    rating_scale: Decimal = Decimal(100)  # the agency's best score; higher is better

    def __post_init__(self) -> None:
        for name in FACTORS:
            weight = self.weight_of(name)
            if not weight.is_finite() or weight < 0:
                raise ValueError(f"risk score weight '{name}': must be a number of zero or more, not {weight}")
        if not self.rating_scale.is_finite() or self.rating_scale <= 0:
            raise ValueError(f"risk score weight 'rating_scale': must be a positive number, not {self.rating_scale}")
        # An account without a rating is scored on behaviour alone, which must weigh something.
        if sum((self.weight_of(name) for name in BEHAVIOUR), ZERO) == 0:
            raise ValueError(f"risk score weights: {', '.join(BEHAVIOUR)} must not all be zero")

    def weight_of(self, name: str) -> Decimal:
        weight: Decimal = getattr(self, name)
        return weight

    @classmethod
    def parse(cls, text: str) -> RiskWeights:
        """From configuration, as in O2C_RISK_WEIGHTS: "days_late=30,late_share=20,
        …,rating_scale=100"; a key left out keeps its default."""
        known = {f.name for f in fields(cls)}
        given: dict[str, Decimal] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = (s.strip() for s in part.partition("="))
            if key not in known:
                raise ValueError(f"risk score weight '{key}': unknown, the keys are {', '.join(sorted(known))}")
            if key in given:
                raise ValueError(f"risk score weight '{key}': given twice")
            try:
                number = Decimal(value) if sep and value else None
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite():
                raise ValueError(f"risk score weight '{key}': '{value}' is not a number")
            given[key] = number
        return cls(**given)


DEFAULT_WEIGHTS = RiskWeights()


@dataclass(frozen=True)
class Factor:
    name: str
    value: Decimal  # the raw measure: days, a share, a count or the agency's score
    normalized: Decimal  # 0 (best) … 1 (worst)
    weight: Decimal  # the points it gives at its worst, to one decimal; the weights present sum to 100
    points: Decimal  # weight times normalized, to one decimal (shown: the class is decided on exact points)


@dataclass(frozen=True)
class RiskScore:
    on: date
    points: Decimal  # 0 … 100, the exact points rounded down to one decimal: in the class's band
    risk_class: str  # computed from the exact points, A … E; see effective_risk_class for the one that applies
    factors: tuple[Factor, ...]
    exact: Fraction = Fraction(0)  # Σ weight * normalized / Σ weights * 100, unrounded: what decides the class

    def factor(self, name: str) -> Factor | None:
        return next((f for f in self.factors if f.name == name), None)

    def as_dict(self) -> dict[str, object]:
        """For the account summary: decimals as strings, like every figure the service shows."""
        return {
            "on": self.on.isoformat(),
            "points": str(self.points),
            "class": self.risk_class,
            "factors": [
                {
                    "name": f.name,
                    "value": str(f.value),
                    "normalized": str(f.normalized),
                    "weight": str(f.weight),
                    "points": str(f.points),
                }
                for f in self.factors
            ],
        }


def risk_score(account: CustomerAccount, on: date, weights: RiskWeights = DEFAULT_WEIGHTS) -> RiskScore:
    """The account's score on `on` from its own history and its latest rating."""
    return scored(on, [*_behaviour(account, on), *_rating(account, weights)], weights)


def scored(on: date, measured: list[Measure], weights: RiskWeights) -> RiskScore:
    """The score of measured factors: exact points decide the class; each factor's
    weight and points, and the total, are shown rounded. Without a rating the
    behaviour factors share its weight, in proportion."""
    given = [Fraction(weights.weight_of(name)) for name, _, _ in measured]
    exact = sum((w * normalized for w, (_, _, normalized) in zip(given, measured, strict=True)), Fraction(0))
    exact = exact * 100 / sum(given, Fraction(0))
    shares = _apportioned(given)
    factors = tuple(
        Factor(name, value, _decimal(normalized, SHOWN), share, _decimal(Fraction(share) * normalized, POINT))
        for (name, value, normalized), share in zip(measured, shares, strict=True)
    )
    shown = Decimal(math.floor(exact * 10)) * POINT
    return RiskScore(on, shown, risk_class_of(exact), factors, exact)


def _apportioned(weights: list[Fraction]) -> list[Decimal]:
    """The weights scaled to 100 points, to one decimal, summing to exactly 100
    (largest remainders get the tenths that rounding down leaves over), as shown."""
    total = sum(weights, Fraction(0))
    exact = [w * 1000 / total for w in weights]  # in tenths of a point
    tenths = [math.floor(e) for e in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - tenths[i]), i))
    for i in by_remainder[: 1000 - sum(tenths)]:
        tenths[i] += 1
    return [Decimal(t) * POINT for t in tenths]


def risk_class_of(points: Decimal | Fraction) -> str:
    """The class of points, exact ones when it decides (59.93 is C, though shown
    rounded to one decimal it would read 59.9 and half-even to the tenth 60.0 would not)."""
    for floor, risk_class in CLASS_FLOORS:
        if points >= floor:
            return risk_class
    return "A"


def effective_risk_class(account: CustomerAccount, score: RiskScore) -> str:
    """A class set by a credit manager (at opening or since) overrides the computed one."""
    return account.risk_class or score.risk_class


def is_downgrade(before: str | None, after: str) -> bool:
    """A move to a worse class; an account's first class is no downgrade."""
    if before is None:
        return False
    return _rank(after) > _rank(before)


def _rank(risk_class: str) -> int:
    try:
        return RISK_CLASSES.index(risk_class)
    except ValueError:
        raise ValueError(f"'{risk_class}' is not a risk class; the classes are {', '.join(RISK_CLASSES)}") from None


Measure = tuple[str, Decimal, Fraction]  # name, value shown, normalized (exact)


def _behaviour(account: CustomerAccount, on: date) -> list[Measure]:
    days_late, late_share = _lateness(account, on)
    now = position(account, on, on)
    overdue_share = _share(now.overdue, now.outstanding)
    issued = sum(1 for invoice in account.invoices.values() if invoice.is_issued_on(on))
    disputed = sum(1 for dispute in account.disputes.values() if dispute.opened_date <= on)
    dispute_share = Fraction(disputed, issued) if issued else Fraction(0)
    broken = _broken_promises(account, on)
    return [
        ("days_late", _decimal(days_late, POINT), min(ONE, days_late / WORST_DAYS_LATE)),
        ("late_share", _decimal(late_share, SHOWN), late_share),
        ("overdue_share", _decimal(overdue_share, SHOWN), overdue_share),
        ("disputes", _decimal(dispute_share, SHOWN), min(ONE, dispute_share / WORST_DISPUTE_SHARE)),
        ("broken_promises", Decimal(broken), min(ONE, broken / WORST_BROKEN_PROMISES)),
    ]


def _lateness(account: CustomerAccount, on: date) -> tuple[Fraction, Fraction]:
    """Amount-weighted days late, and the share of invoices paid late, over the
    invoices come due by `on`. Each amount of cash counts the days between the
    due date and the day it was applied; what is still open on `on` counts the
    days so far. Credits (credit notes, upheld disputes) are not payments: they
    take their amount out of what was owed, late or not, rather than count late."""
    cash = _cash_by_invoice(account, on)
    weighted_days = ZERO
    owed = ZERO
    invoices = late = 0
    for invoice in account.invoices.values():
        if not (invoice.is_issued_on(on) and invoice.due_date < on):
            continue
        parts = [(m.amount, _days_after(invoice, m.effective)) for m in cash.get(invoice.invoice_id, [])]
        still_open = invoice.open_balance_on(on)
        if still_open > 0:
            parts.append((still_open, _days_after(invoice, on)))
        if not parts:
            continue  # credited in full: the customer owed nothing
        invoices += 1
        late += any(days > 0 for _, days in parts)
        weighted_days += sum((amount * days for amount, days in parts), ZERO)
        owed += sum((amount for amount, _ in parts), ZERO)
    return _share(weighted_days, owed), Fraction(late, invoices) if invoices else Fraction(0)


def _share(part: Decimal, whole: Decimal) -> Fraction:
    return Fraction(part) / Fraction(whole) if whole else Fraction(0)


def _decimal(value: Fraction, places: Decimal) -> Decimal:
    """A fraction shown to `places`, rounded half-even."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(places, ROUND_HALF_EVEN)


def _cash_by_invoice(account: CustomerAccount, on: date) -> dict[str, list[Movement]]:
    """Cash applied to each invoice by `on`, from the payments' side (an
    allocation names its invoice; a settlement's source could be any kind of id)."""
    cash: dict[str, list[Movement]] = {}
    for payment in account.payments.values():
        for allocation in payment.allocations:
            if allocation.effective <= on:
                cash.setdefault(allocation.source, []).append(allocation)
    return cash


def _days_after(invoice: Invoice, day: date) -> int:
    return max(0, (day - invoice.due_date).days)


def _broken_promises(account: CustomerAccount, on: date) -> int:
    """Promises broken by `on`, by the rule that raises `promise_broken`."""
    broken = 0
    for promise in account.promises.values():
        invoices = [account.invoices[invoice_id] for invoice_id in promise.invoice_ids]
        broken_on = promise_broken_on(promise, invoices, account.payments)
        broken += broken_on is not None and broken_on <= on
    return broken


def _rating(account: CustomerAccount, weights: RiskWeights) -> list[Measure]:
    """The latest external score, worse the lower it is on the agency's scale;
    nothing without one (the other factors then carry its weight)."""
    if account.rating is None:
        return []
    try:
        score = Decimal(str(account.rating.get("score")))
    except InvalidOperation:
        return []
    if not score.is_finite():
        return []
    standing = min(ONE, max(Fraction(0), Fraction(score) / Fraction(weights.rating_scale)))
    return [("rating", score, ONE - standing)]
