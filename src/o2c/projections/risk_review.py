"""The risk review: each account's risk score and class in force, as of today.

A score depends on the day (an open invoice gets later every day), so it is
not a fold of the facts: the projection reviews the accounts its live batches
touched, and every account once a day, a bounded number at a time so that
new facts are never kept waiting long. A class moving to a later letter
raises `rating_downgraded` (subject `risk_class`), cleared when a later review
finds a better class; these alerts are dated by the review that found them.
The accounts facts touched are reviewed first; read-your-writes waits for
them (projections/reviewed.py).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update

from o2c.domain.account import CustomerAccount
from o2c.domain.alerts import SEVERITY
from o2c.domain.risk import DEFAULT_WEIGHTS, RiskWeights, effective_risk_class, is_downgrade, risk_score
from o2c.projections import schema
from o2c.projections.batch import write_alerts
from o2c.projections.bulk import upsert_rows
from o2c.projections.reviewed import ReviewedSpans

RISK_SUBJECT = "risk_class"
# Counts the reviews that changed a class in force (in rm_tracking): the facts'
# position alone does not tell a reader, e.g. the agenda, that classes moved.
REVIEWS = "risk_review"
T = schema.tracking.c
_WRITE = (
    update(schema.collections)
    .where(schema.collections.c.account == bindparam("k_account"))
    .values(risk=bindparam("risk"), risk_class=bindparam("risk_class"))
)


class RiskReview:
    def __init__(
        self,
        engine: Engine,
        account_now: Callable[[str], CustomerAccount | None],
        clock: Callable[[], datetime],
        weights: RiskWeights = DEFAULT_WEIGHTS,
    ) -> None:
        self.engine = engine
        self.account_now = account_now  # the account as the read model has reached it
        self.clock = clock
        self.weights = weights
        self._touched: OrderedDict[str, None] = OrderedDict()  # by facts: reviewed first
        self._due: OrderedDict[str, None] = OrderedDict()  # the daily review
        self.reviewed = ReviewedSpans()
        self.owns: Callable[[str], bool] = lambda _: True  # the accounts to review daily (a worker's)

    def enqueue(self, codes: Iterable[str], span: tuple[int, int] | None = None) -> None:
        """Queues accounts a batch touched; `span`, the positions (from, to] it
        projected, moves the reviewed position once they are reviewed (a retry gives none)."""
        self._touched.update(dict.fromkeys(codes))
        if span is not None:
            self.reviewed.add(span)

    def resume(self, position: int) -> None:
        """At start: queues what a projector stopped before reviewing."""
        with self.engine.begin() as conn:
            self._touched.update(dict.fromkeys(self.reviewed.resume(conn, position)))

    def enqueue_all(self) -> None:
        """Queues every account for today's review, but those facts touched: their
        review, still to come, is today's too (reviewed once, not twice)."""
        with self.engine.connect() as conn:
            codes = conn.execute(select(schema.collections.c.account)).scalars()
            self._due.update(dict.fromkeys(code for code in codes if code not in self._touched and self.owns(code)))

    @property
    def pending(self) -> int:
        return len(self._touched) + len(self._due)

    def review_some(self, limit: int = 500) -> int:
        """Reviews up to `limit` accounts waiting, those facts touched first; returns how many."""
        touched = [self._touched.popitem(last=False)[0] for _ in range(min(limit, len(self._touched)))]
        for code in touched:  # reviewed now: today's review is done (a fact touched it after enqueue_all)
            self._due.pop(code, None)
        due = [self._due.popitem(last=False)[0] for _ in range(min(limit - len(touched), len(self._due)))]
        if not (touched or due or self.reviewed.spans):
            return 0
        try:
            with self.engine.begin() as conn:
                self.write_reviews(conn, touched + due)
                spans = self.reviewed.spans if self._touched else self.reviewed.advance(conn)
        except BaseException:
            # Rolled back: the accounts are queued again, and the reviewed position has not moved.
            self._touched = OrderedDict({**dict.fromkeys(touched), **self._touched})
            self._due = OrderedDict({**dict.fromkeys(due), **self._due})
            raise
        self.reviewed.spans = spans
        return len(touched) + len(due)

    def write_reviews(self, conn: Connection, codes: list[str]) -> None:
        now = self.clock()
        reviewed = {}
        for code in codes:
            account = self.account_now(code)
            if account is not None:
                score = risk_score(account, now.date(), self.weights)
                reviewed[code] = (effective_risk_class(account, score), score.as_dict())
        if not reviewed:
            return
        before = self._classes_before(conn, list(reviewed))
        conn.execute(_WRITE, [{"k_account": c, "risk_class": k, "risk": r} for c, (k, r) in reviewed.items()])
        write_alerts(conn, self._alert_changes(conn, before, reviewed, now))
        if any(before.get(code) != risk_class for code, (risk_class, _) in reviewed.items()):
            count = {"view": REVIEWS, "position": 1}
            upsert_rows(conn, schema.tracking, [count], ["view"], lambda _: {"position": T.position + 1})

    def _classes_before(self, conn: Connection, codes: list[str]) -> dict[str, str | None]:
        c = schema.collections.c
        rows = conn.execute(select(c.account, c.risk_class).where(c.account.in_(codes)))
        return {row.account: row.risk_class for row in rows}

    def _alert_changes(
        self,
        conn: Connection,
        before: dict[str, str | None],
        reviewed: dict[str, tuple[str, dict[str, Any]]],
        now: datetime,
    ) -> list[tuple[str, dict[str, Any]]]:
        a = schema.alerts.c
        open_now = set(
            conn.execute(
                select(a.account).where(
                    a.type == "rating_downgraded", a.subject == RISK_SUBJECT, a.cleared_at.is_(None),
                    a.account.in_(list(reviewed)),
                )
            ).scalars()
        )  # fmt: skip
        changes: list[tuple[str, dict[str, Any]]] = []
        for code, (risk_class, risk) in reviewed.items():
            previous = before.get(code)
            key = {"account": code, "type": "rating_downgraded", "subject": RISK_SUBJECT}
            if is_downgrade(previous, risk_class) and code not in open_now:
                details = {"from": previous, "to": risk_class, "points": risk["points"]}
                changes.append(("raise", {**key, "severity": SEVERITY["rating_downgraded"], "raised_at": now,
                                          "effective_date": now.date(), "cleared_at": None,
                                          "details": details}))  # fmt: skip
            elif previous is not None and is_downgrade(risk_class, previous) and code in open_now:
                changes.append(("clear", {**key, "at": now}))
        return changes
