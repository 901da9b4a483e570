"""Which alerts a batch of facts raises, told to the poster in the answer to
`POST /v1/events` (an order beyond the limit is recorded, not refused: the
answer says so). The read model's projection raises and keeps the alerts
themselves, with their ids; this is what the batch started, by the same rules.
Overdue alerts come with time, not with a post, so they are not among them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from o2c.domain.account import CustomerAccount
from o2c.domain.alerts import SEVERITY, Totals, balance_conditions
from o2c.domain.valuation import position

Held = dict[tuple[str, str], dict[str, Any]]


@dataclass(frozen=True)
class Before:
    """What an account's alerts depend on, before a batch."""

    held: Held
    score: Decimal | None  # the latest external rating's


def before(account: CustomerAccount | None, today: date) -> Before:
    if account is None:
        return Before({}, None)
    return Before(held(account, today), account.rating["score"] if account.rating else None)  # type: ignore[arg-type]


def held(account: CustomerAccount | None, today: date) -> Held:
    """The balance conditions an account meets now (none before it is opened)."""
    if account is None:
        return {}
    p = position(account, None, today)
    totals = Totals(account.credit_limit, account.insured_limit, p.outstanding, p.uninvoiced, p.unapplied_cash,
                    p.disputed)  # fmt: skip
    return balance_conditions(totals)


def raised(
    earlier: Mapping[str, Before],
    accounts: Mapping[str, CustomerAccount | None],
    events: Sequence[Any],
    today: date,
) -> list[dict[str, Any]]:
    out = []
    for code, account in accounts.items():
        for (kind, _), details in held(account, today).items():
            if (kind, "") not in earlier[code].held:
                out.append(_alert(code, kind, code, details))
    scores: dict[str, Any] = {code: b.score for code, b in earlier.items()}
    for event in events:
        kind, code = type(event).__name__, event.originator_id
        if kind == "DisputeOpened":
            details = {"invoice_id": event.invoice_id, "amount": str(event.amount), "reason": event.reason}
            out.append(_alert(code, "dispute_opened", event.dispute_id, details))
        elif kind == "RatingChanged":
            previous = scores.get(code)
            if previous is not None and event.score < previous:
                details = {"agency": event.agency, "from": str(previous), "to": str(event.score)}
                out.append(_alert(code, "rating_downgraded", code, details))
            scores[code] = event.score
    return out


def _alert(code: str, kind: str, subject: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"account": code, "type": kind, "subject": subject, "severity": SEVERITY[kind], "details": details}
