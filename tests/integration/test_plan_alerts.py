"""Overdue alerts of an invoice under a payment plan, and the plan's own, as days
pass, on each store (the projection driven by the test, its clock and the
recording times the test's): overdue until the plan is agreed, again from the
day it breaks, not when cash recorded late keeps it after all, and cleared when
the invoice is settled. Each alert a spell, with the business date it started."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from unittest import mock

from sqlalchemy import select

from o2c.projections import schema
from o2c.projections.database import reset
from o2c.projections.projector import ReadModelProjection
from tests.integration.conftest import envelope, invoice, opened, payment
from tests.integration.portfolio_strategies import differences, fresh_store, tables
from tests.integration.test_plan_properties import Clock


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def spells(engine: Any) -> list[tuple[str, str, date, datetime, datetime | None]]:
    a = schema.alerts.c
    query = select(a.type, a.subject, a.effective_date, a.raised_at, a.cleared_at).where(
        a.type.in_(("overdue", "promise_broken"))
    )
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(a.type, a.subject, a.raised_at)).all()
    return [(r.type, r.subject, r.effective_date, _utc(r.raised_at), _utc(r.cleared_at)) for r in rows]


def _utc(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def test_an_invoice_under_a_plan_is_overdue_before_it_and_from_each_break_until_settled(database_url: str) -> None:
    clock = Clock()
    today = clock.now.date()

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    def at(offset: int, hour: int) -> datetime:
        return midnight(today + timedelta(days=offset)) + timedelta(hours=hour)

    with fresh_store(database_url) as store, mock.patch("eventsourcing.domain.datetime_now_with_tzinfo", clock):
        store.ledger.clock = clock
        projection = ReadModelProjection(store.ledger, store.engine, clock)

        def record(*facts: dict[str, Any]) -> datetime:
            store.record(list(facts))
            recorded = clock.now
            projection.run_until_caught_up()
            projection.run_once()  # caught up: the sweep, if due
            return recorded

        t0 = record(opened("C-1"), invoice("F-1", "1000.00", day(-50), day(-20), account="C-1"))
        clock.now += timedelta(hours=1)
        installments = [{"due_date": day(5), "amount": "500.00"}, {"due_date": day(35), "amount": "500.00"}]
        t1 = record(envelope("pl-1", "PaymentPlanAgreed", "C-1", plan_id="PL-1", invoice_ids=["F-1"],
                             agreed_date=day(0), installments=installments))  # fmt: skip
        assert spells(store.engine) == [("overdue", "F-1", date.fromisoformat(day(-19)), t0, t1)]

        # Nothing paid by the first installment's date: broken on day 6, overdue again (the sweep).
        clock.now = at(7, 10)
        projection.run_once()
        broken = [("overdue", "F-1", date.fromisoformat(day(6)), midnight(today + timedelta(days=6)), None),
                  ("promise_broken", "plan:PL-1", date.fromisoformat(day(6)), midnight(today + timedelta(days=6)),
                   None)]  # fmt: skip
        assert spells(store.engine)[1:] == broken

        # The first installment had been paid on day 4, recorded late: the plan holds after all.
        t3 = record(payment("P-1", "500.00", day(4), [("F-1", "500.00")], account="C-1"))
        assert [s[4] for s in spells(store.engine)] == [t1, t3, t3]

        # The second is not paid by day 35: broken on day 36, until the invoice is settled on day 41.
        clock.now = at(40, 9)
        projection.run_once()
        clock.now = at(41, 9)
        t4 = record(payment("P-2", "500.00", day(41), [("F-1", "500.00")], account="C-1"))
        again = midnight(today + timedelta(days=36))
        assert spells(store.engine) == [
            ("overdue", "F-1", date.fromisoformat(day(-19)), t0, t1),
            ("overdue", "F-1", date.fromisoformat(day(6)), broken[0][3], t3),
            ("overdue", "F-1", date.fromisoformat(day(36)), again, t4),
            ("promise_broken", "plan:PL-1", date.fromisoformat(day(6)), broken[1][3], t3),
            ("promise_broken", "plan:PL-1", date.fromisoformat(day(36)), again, t4),
        ]
        # A rebuild, today, has the same alerts row for row: each spell worked out fact by fact.
        live = tables(store.engine)
        reset(store.engine)
        ReadModelProjection(store.ledger, store.engine, clock).run_until_caught_up()
        assert differences(tables(store.engine), live) == {}
