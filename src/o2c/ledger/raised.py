"""Which alerts a batch of facts raises, told to the poster in the answer to
`POST /v1/events` (an order beyond the limit is recorded, not refused: the
answer says so). The read model's projection raises and keeps the alerts
themselves, with their ids; this is what the batch started, by the same rules.
Overdue alerts come with time, not with a post, so they are not among them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from o2c.domain.account import CustomerAccount
from o2c.domain.alerts import SEVERITY, Totals, balance_details, balance_kinds
from o2c.domain.valuation import current_totals


@dataclass(frozen=True)
class Before:
    """What an account's alerts depend on, before a batch."""

    totals: Totals | None  # none before it is opened
    held: frozenset[str]  # the balance conditions it meets
    score: Decimal | None  # the latest external rating's


def before(account: CustomerAccount | None) -> Before:
    if account is None:
        return Before(None, frozenset(), None)
    totals = Totals(account.credit_limit, account.insured_limit, *current_totals(account))
    score = account.rating["score"] if account.rating else None
    return Before(totals, balance_kinds(totals), score)  # type: ignore[arg-type]


def raised(
    earlier: Mapping[str, Before],
    accounts: Mapping[str, CustomerAccount | None],
    events: Sequence[Any],
) -> tuple[list[dict[str, Any]], dict[str, Before]]:
    """The alerts raised, and what the accounts' alerts depend on now (the next
    batch's `earlier`, while the accounts are kept)."""
    out = []
    now = {code: before(account) for code, account in accounts.items()}
    for code, state in now.items():
        for kind in sorted(state.held - earlier[code].held):
            account = accounts[code]
            assert state.totals is not None and account is not None
            out.append(_alert(code, kind, code, balance_details(kind, state.totals, account.currency)))
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
    return out, now


def _alert(code: str, kind: str, subject: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"account": code, "type": kind, "subject": subject, "severity": SEVERITY[kind], "details": details}
