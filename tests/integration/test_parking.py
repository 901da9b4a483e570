"""Sequenced dead letters, on each store: a fact the projection cannot apply parks
its account (it and every later fact of the account wait, in order) while every
other account is projected as in a clean run; a retry, once the fault is gone,
brings the parked account level with a clean run, row for row. Over random
portfolios recorded through the ledger, the projection driven by the test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from o2c.projections import batch as batch_module
from o2c.projections import projector as projector_module
from o2c.projections import schema
from o2c.projections.batch import Batch
from o2c.projections.database import reset
from o2c.projections.parking import ALERT, RETRIES
from o2c.projections.projector import ReadModelProjection
from o2c.projections.retry import retry_account, retry_all
from tests.integration.conftest import invoice, opened, payment
from tests.integration.portfolio_strategies import Portfolio, Store, fresh_store, portfolios, tables
from tests.integration.projecting import PROPERTY, Clock, Crash, Model, assert_same, record_all

PARKING = settings(PROPERTY, max_examples=8)  # each example projects its portfolio three times over


class Fault(Exception):
    """A projector bug on one fact (an upgrade gone wrong)."""


@contextmanager
def fault_on(code: str, version: int) -> Iterator[None]:
    """Projecting that fact of that account raises."""
    real = ReadModelProjection._project

    def failing(self: ReadModelProjection, event: Any, position: int, batch: Batch) -> None:
        if event.originator_id == code and event.originator_version == version:
            raise Fault(f"cannot project {code} v{version}")
        real(self, event, position, batch)

    with mock.patch.object(ReadModelProjection, "_project", failing):
        yield


@contextmanager
def write_fault_on(code: str, version: int) -> Iterator[None]:
    """Writing a batch that holds that fact of that account fails in the database's
    stead (as an overflowing sum would): no fact is to blame until the batch is cut."""
    real = Batch.write

    def failing(self: Batch, conn: Any) -> None:
        if code in self.accounts and self.accounts[code]["version"] >= version:
            raise Fault(f"cannot write {code} v{version}")
        real(self, conn)

    with mock.patch.object(Batch, "write", failing):
        yield


# -- the read model, compared ----------------------------------------------------------------------


def _columns(table: Any) -> list[str]:
    left_out = ("id", "risk", "risk_class") if table is schema.collections else ("id",)
    return [c.name for c in table.c if c.name not in left_out]


def model(store: Store) -> Model:
    """Every table as `tables` reads it, less what parking adds on the side: the retry
    count and the `projection_parked` alerts (dated by when parking and retries ran)."""
    out = tables(store.engine)
    kind = _columns(schema.alerts).index("type")
    out[schema.alerts.name] = [r for r in out[schema.alerts.name] if r[kind] != ALERT]
    out[schema.tracking.name] = [r for r in out[schema.tracking.name] if r[0] != RETRIES]
    return out


def others(m: Model, code: str) -> Model:
    """The rows of every account but `code`, in the tables kept per account."""
    out = {}
    for table in (schema.accounts, schema.invoices, schema.lines, schema.alerts, schema.collections,
                  schema.commitments):  # fmt: skip
        at = _columns(table).index("account")
        out[table.name] = [r for r in m[table.name] if r[at] != code]
    return out


def parked_positions(store: Store) -> list[tuple[str, int, bool]]:
    p = schema.parked.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(p.account, p.position, p.error).order_by(p.position))
        return [(r.account, r.position, r.error is not None) for r in rows]


def positions_of(store: Store, code: str, from_version: int) -> list[int]:
    log = store.ledger.recorder.select_notifications(1, 10_000)
    return [n.id for n in log if n.originator_id == code and n.originator_version >= from_version]


def open_alerts(store: Store, type_: str) -> list[tuple[str, Any]]:
    a = schema.alerts.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(a.account, a.details).where(a.type == type_, a.cleared_at.is_(None)))
        return [(r.account, r.details) for r in rows]


def follow(projection: ReadModelProjection, limits: st.SearchStrategy[int], data: st.DataObject) -> None:
    while projection.run_once(data.draw(limits, label="batch")):
        pass


def fresh(store: Store, clock: Clock) -> Any:
    return lambda: ReadModelProjection(store.ledger, store.engine, clock)


# -- parked, others go on, retried ------------------------------------------------------------------


@PARKING
@given(portfolio=portfolios(max_facts=50), data=st.data())
def test_a_faulty_account_is_parked_the_others_projected_and_a_retry_levels_it(
    database_url: str, portfolio: Portfolio, data: st.DataObject
) -> None:
    with fresh_store(database_url) as store:
        last = record_all(store, portfolio)
        clock = Clock()
        follow(ReadModelProjection(store.ledger, store.engine, clock), st.integers(1, 12), data)
        clean = model(store)
        reset(store.engine)

        code = data.draw(st.sampled_from(portfolio.codes), label="faulty account")
        versions = len(positions_of(store, code, 1))
        version = data.draw(st.integers(1, versions), label="faulty fact's version")
        injected = data.draw(st.sampled_from([fault_on, write_fault_on]), label="fault")
        projection = ReadModelProjection(store.ledger, store.engine, clock)
        with injected(code, version):
            follow(projection, st.integers(1, 12), data)
            faulty = model(store)
            assert faulty["rm_tracking"] == [("read_model", last)]  # the log's head, not stuck
            waiting = positions_of(store, code, version)
            assert parked_positions(store) == [(code, p, p == waiting[0]) for p in waiting]
            assert_same(others(faulty, code), others(clean, code))
            [(alerted, details)] = open_alerts(store, ALERT)
            assert alerted == code and details["position"] == waiting[0] and "Fault" in details["error"]

            # Retried with the fault still there: nothing moves, the error is kept.
            still = retry_account(fresh(store, clock), code)
            assert still is not None and (still.applied, still.still_parked) == (0, len(waiting))
            assert parked_positions(store) == [(code, p, p == waiting[0]) for p in waiting]

        # Fixed: the retry applies every parked fact at its own position.
        retried = retry_all(fresh(store, clock))
        assert [(r.account, r.applied, r.still_parked) for r in retried] == [(code, len(waiting), 0)]
        projection.run_once()  # the projector sees the retry: alerts time raised are swept
        assert parked_positions(store) == []
        assert open_alerts(store, ALERT) == []
        assert_same(model(store), clean)
        assert retry_account(fresh(store, clock), code) is None  # nothing parked any more


def test_later_facts_of_a_parked_account_wait_in_order_while_others_go_on(database_url: str) -> None:
    with fresh_store(database_url) as store:
        store.record([opened("BAD"), opened("OK"), invoice("F-1", "100.00", account="BAD")])
        projection = ReadModelProjection(store.ledger, store.engine, store.ledger.clock)
        with fault_on("BAD", 2):
            projection.run_until_caught_up()
            paid = payment("P-1", "100.00", "2026-03-10", [("F-1", "100.00")], account="BAD")
            last = store.record([invoice("F-2", "50.00", account="BAD"), invoice("G-1", "70.00", account="OK"), paid])
            projection.run_until_caught_up()
        assert projection.position() == last
        assert [(a, first) for a, _, first in parked_positions(store)] == [
            ("BAD", True),
            ("BAD", False),
            ("BAD", False),
        ]
        a = schema.accounts.c
        with store.engine.connect() as conn:
            assert {r.account: r.outstanding for r in conn.execute(select(a.account, a.outstanding))} == {
                "BAD": 0,
                "OK": 700_000,
            }
        # The fault fixed, the projector itself goes on with the account once retried.
        assert retry_account(lambda: ReadModelProjection(store.ledger, store.engine, store.ledger.clock), "BAD")
        store.record([invoice("F-3", "10.00", account="BAD")])
        projection.run_until_caught_up()
        assert parked_positions(store) == []
        with store.engine.connect() as conn:
            assert {r.account: r.outstanding for r in conn.execute(select(a.account, a.outstanding))} == {
                "BAD": 600_000,
                "OK": 700_000,
            }


# -- exactly once, whatever dies where ----------------------------------------------------------


@pytest.mark.parametrize("point", ["parked rows", "tracking"])
def test_a_crash_while_parking_leaves_nothing_and_parks_nothing_twice(database_url: str, point: str) -> None:
    with fresh_store(database_url) as store:
        last = store.record([opened("BAD"), opened("OK"), invoice("F-1", "100.00", account="BAD"),
                             invoice("G-1", "70.00", account="OK"), invoice("F-2", "5.00", account="BAD")])  # fmt: skip
        projection = ReadModelProjection(store.ledger, store.engine, store.ledger.clock)
        before = tables(store.engine)
        if point == "parked rows":
            real = projector_module.insert_rows

            def dying(conn: Any, table: Any, rows: Any) -> None:
                real(conn, table, rows)
                if table is schema.parked:
                    raise Crash(point)

            crash = mock.patch.object(projector_module, "insert_rows", dying)
        else:
            crash = mock.patch.object(projection, "_advance", mock.Mock(side_effect=Crash(point)))
        with fault_on("BAD", 2), crash, pytest.raises(Crash):
            projection.run_once()
        assert tables(store.engine) == before, "the crashed batch left rows behind"

        with fault_on("BAD", 2):
            restarted = ReadModelProjection(store.ledger, store.engine, store.ledger.clock)
            restarted.run_until_caught_up()
            restarted.run_until_caught_up()
        assert restarted.position() == last
        assert [(a, first) for a, _, first in parked_positions(store)] == [("BAD", True), ("BAD", False)]
        assert len(open_alerts(store, ALERT)) == 1


def test_a_database_failure_parks_nothing_and_the_batch_is_retried(database_url: str) -> None:
    """A lost connection is not the fact's fault: raised for the runner to retry, as before."""
    from sqlalchemy.exc import OperationalError

    with fresh_store(database_url) as store:
        store.record([opened("A"), invoice("F-1", "100.00", account="A")])
        projection = ReadModelProjection(store.ledger, store.engine, store.ledger.clock)
        lost = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        with (
            mock.patch.object(batch_module, "write_alerts", mock.Mock(side_effect=lost)),
            pytest.raises(OperationalError),
        ):
            projection.run_once()
        assert parked_positions(store) == [] and projection.position() == 0
        assert projection.run_until_caught_up() == 2
        assert parked_positions(store) == []


@pytest.mark.parametrize("limit", [1, 1000])
def test_time_raises_no_alert_that_a_parked_fact_would_have_prevented(database_url: str, limit: int) -> None:
    """An invoice paid on its due date, the payment parked: two days later neither the
    batch nor the daily sweep may call it overdue (the payment was not seen)."""
    with fresh_store(database_url) as store:
        today = datetime.now(UTC).date()
        store.record(
            [
                opened("A"),
                opened("B"),
                invoice("F-1", "100.00", (today - timedelta(days=5)).isoformat(), today.isoformat(), account="A"),
            ]
        )
        store.record([payment("P-1", "100.00", today.isoformat(), [("F-1", "100.00")], account="A")])  # fmt: skip
        later = Clock()
        later.now += timedelta(days=2)
        ReadModelProjection(store.ledger, store.engine, later).run_until_caught_up()
        clean = model(store)
        reset(store.engine)
        projection = ReadModelProjection(store.ledger, store.engine, later)
        with fault_on("A", 3):
            while projection.run_once(limit):
                pass
            assert open_alerts(store, "overdue") == []
        assert retry_account(fresh(store, later), "A")
        projection.run_once()
        assert_same(model(store), clean)


@pytest.mark.parametrize("limit", [1, 1000])
def test_an_alert_that_ended_before_the_parked_fact_is_kept(database_url: str, limit: int) -> None:
    """Overdue at once and paid, then a fact that cannot be projected, in one batch: the
    alert (raised and cleared by facts projected before the parked one) is the clean
    run's, and stays after the retry, which does not touch the paid invoice again."""
    with fresh_store(database_url) as store:
        store.record([opened("A"), opened("B"), invoice("F-1", "100.00", account="A"),
                      payment("P-1", "100.00", "2026-03-10", [("F-1", "100.00")], account="A"),
                      invoice("F-2", "50.00", account="A"), invoice("G-1", "70.00", account="B")])  # fmt: skip
        clock = Clock()
        ReadModelProjection(store.ledger, store.engine, clock).run_until_caught_up()
        clean = model(store)
        reset(store.engine)
        projection = ReadModelProjection(store.ledger, store.engine, clock)
        with fault_on("A", 4):
            while projection.run_once(limit):
                pass
            a = schema.alerts.c
            with store.engine.connect() as conn:
                ended = conn.execute(select(a.subject).where(a.type == "overdue", a.cleared_at.is_not(None)))
                assert [(r.subject) for r in ended] == ["F-1"]
        assert retry_account(fresh(store, clock), "A")
        projection.run_once()
        assert_same(model(store), clean)


def test_a_partial_retry_raises_no_alert_that_a_fact_still_parked_would_have_prevented(database_url: str) -> None:
    """The invoice applied by a retry, its payment still parked: the retry may not call
    it overdue (the payment, recorded before it was due, has not been seen)."""
    with fresh_store(database_url) as store:
        today = datetime.now(UTC).date()
        store.record([opened("A"), invoice("F-1", "100.00", (today - timedelta(days=5)).isoformat(),
                                           today.isoformat(), account="A")])  # fmt: skip
        store.record([payment("P-1", "100.00", today.isoformat(), [("F-1", "100.00")], account="A")])
        later = Clock()
        later.now += timedelta(days=2)
        ReadModelProjection(store.ledger, store.engine, later).run_until_caught_up()
        clean = model(store)
        reset(store.engine)
        projection = ReadModelProjection(store.ledger, store.engine, later)
        with fault_on("A", 2):
            projection.run_until_caught_up()
        with fault_on("A", 3):
            partly = retry_account(fresh(store, later), "A")
            assert partly is not None and (partly.applied, partly.still_parked) == (1, 1)
            projection.run_once()
            assert open_alerts(store, "overdue") == []
        assert retry_account(fresh(store, later), "A")
        projection.run_once()
        assert_same(model(store), clean)
