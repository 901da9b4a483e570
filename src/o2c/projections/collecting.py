"""How the projection keeps the collections read model: each touched account's
collection case (what the agenda is worked out from), and its promises and
plans with when they stopped holding (what `promise_broken` alerts need)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from o2c.domain import cases
from o2c.domain.cases import collection_case, commitments_of, to_json
from o2c.domain.money import ZERO
from o2c.projections.alerting import Commitment, Projected
from o2c.projections.batch import Batch
from o2c.projections.units import to_units


def track_commitments(projected: Projected, at: datetime, batch: Batch) -> tuple[cases.Commitment, ...]:
    """After each fact: which promises and plans hold (broken, or to break, with
    something still open), and since when they no longer do; returns them all."""
    account = projected.account
    if not (account.promises or account.plans):
        return ()
    every = commitments_of(account)
    for found in every:
        key = (found.kind, found.commitment_id)
        holds = found.broken_on is not None and not found.settled
        known = projected.commitments.get(key)
        if known is None:
            known = Commitment(found.broken_on, at, None if holds else at)
        elif known.broken_on == found.broken_on and (known.ended_at is None) == holds:
            continue
        else:
            ended_at = None if holds else (known.ended_at or at)
            known = Commitment(found.broken_on, known.recorded_at, ended_at)
        projected.commitments[key] = known
        batch.commitments[(account.id, *key)] = {
            "account": account.id, "kind": found.kind, "commitment_id": found.commitment_id,
            "broken_on": known.broken_on, "due_on": found.due_on, "recorded_at": known.recorded_at,
            "ended_at": known.ended_at,
        }  # fmt: skip
    return every


def case_row(projected: Projected, position: int) -> dict[str, Any]:
    account = projected.account
    # A credit manager's class, projected with the fact that set it; without one the
    # class in force is the risk review's to write (rm_collections.risk_class).
    case = collection_case(account, account.risk_class)
    at_risk = sum((max(i.open_balance - i.disputed, ZERO) for i in case.invoices), ZERO)
    return {
        "account": account.id, "scenario": account.scenario, "formal_notice_open": case.formal_notice_open,
        "at_risk": to_units(at_risk), "case": to_json(case), "position": position,
    }  # fmt: skip
