"""An invoice paid before its due date is never overdue, even when a later fact about
it (its dispute resolved) is projected after the due date has passed: the moment it
was settled is when the paying fact was recorded, not when a later fact touched it.
(Found by test_plan_properties' rebuild property: the live projector raised and
cleared an `overdue` alert the rebuild never had.)"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from sqlalchemy import select

from o2c.projections import schema
from o2c.projections.database import reset
from o2c.projections.projector import ReadModelProjection
from tests.integration.conftest import envelope, invoice, opened, payment
from tests.integration.portfolio_strategies import fresh_store, tables
from tests.integration.projecting import assert_same
from tests.integration.test_plan_properties import Clock


def test_a_dispute_resolved_after_the_due_date_on_an_invoice_paid_before_it_raises_nothing(
    database_url: str,
) -> None:
    clock = Clock()
    today = clock.now.date()
    due = today + timedelta(days=31)
    with fresh_store(database_url) as store, mock.patch("eventsourcing.domain.datetime_now_with_tzinfo", clock):
        store.ledger.clock = clock
        live = ReadModelProjection(store.ledger, store.engine, clock)
        store.record([
            opened("A1"),
            invoice("F5", "10.00", today.isoformat(), due.isoformat(), account="A1"),
            envelope("d-open", "DisputeOpened", "A1", dispute_id="D1", invoice_id="F5", amount="10.00",
                     reason="short delivery", opened_date=today.isoformat()),
            payment("P1", "10.00", today.isoformat(), [("F5", "10.00")], account="A1"),
        ])  # fmt: skip
        live.run_until_caught_up()
        clock.now += timedelta(days=40)  # past the due date; the invoice was paid long before
        store.record([envelope("d-resolved", "DisputeResolved", "A1", dispute_id="D1", outcome="rejected",
                               resolved_date=(today + timedelta(days=40)).isoformat())])  # fmt: skip
        live.run_until_caught_up()
        with store.engine.connect() as conn:
            overdue = conn.execute(select(schema.alerts).where(schema.alerts.c.type == "overdue")).all()
        assert overdue == []
        projected = tables(store.engine)
        reset(store.engine)
        ReadModelProjection(store.ledger, store.engine, clock).run_until_caught_up()
        assert_same(tables(store.engine), projected)
