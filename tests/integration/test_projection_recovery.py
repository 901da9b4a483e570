"""The read-model projection: a rebuild equals the live read model row for row,
a crash mid-batch leaves nothing behind and a restart catches up exactly, two
projectors racing never double-count. On each store, over random portfolios
recorded through the ledger (no HTTP, no projection thread: the tests drive
`ReadModelProjection` themselves)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import select

from o2c.projections import batch as batch_module
from o2c.projections import schema
from o2c.projections.database import reset, sync_engine
from o2c.projections.projector import ReadModelProjection, TrackingConflict
from tests.integration.conftest import envelope, invoice, opened, payment
from tests.integration.portfolio_strategies import BASE, Portfolio, Store, differences, fresh_store, portfolios, tables
from tests.integration.projecting import PROPERTY, Clock, Crash, Model, assert_same, record_all


def rebuilt(store: Store) -> Model:
    """The read model replayed from scratch by a fresh projection (`o2c rebuild`)."""
    reset(store.engine)
    assert all(not rows for rows in tables(store.engine).values())
    ReadModelProjection(store.ledger, store.engine, store.ledger.clock).run_until_caught_up()
    return tables(store.engine)


def assert_complete(model: Model, portfolio: Portfolio, last: int) -> None:
    """Not trivially equal: every account and the whole log are in."""
    assert model["rm_tracking"] == [("read_model", last)]
    assert sorted(row[0] for row in model["rm_accounts"]) == sorted(portfolio.codes)


# -- 3. rebuild equals live ------------------------------------------------------------------------


@PROPERTY
@given(portfolio=portfolios(), data=st.data())
def test_a_rebuild_equals_the_live_read_model_row_for_row(
    database_url: str, portfolio: Portfolio, data: st.DataObject
) -> None:
    with fresh_store(database_url) as store:
        live = ReadModelProjection(store.ledger, store.engine, store.ledger.clock)
        last = 0
        for facts in portfolio.batches:
            last = store.record(facts)
            # The projection follows in small batches, sometimes lagging behind the writes.
            limit = data.draw(st.integers(1, 8), label="projection batch")
            for _ in range(data.draw(st.integers(0, 3), label="batches projected")):
                live.run_once(limit)
        while live.run_once(data.draw(st.integers(1, 8), label="catch-up batch")):
            pass
        projected = tables(store.engine)
        assert_complete(projected, portfolio, last)
        assert_same(rebuilt(store), projected)


# -- 5. crash and restart ----------------------------------------------------------------------------


@contextmanager
def crash_at(point: str, projection: ReadModelProjection) -> Iterator[None]:
    """The projector dies inside the batch's transaction, after `point` was written."""

    def after(real: Callable[..., Any], only: Callable[..., bool] = lambda *a: True) -> Callable[..., Any]:
        def dying(*args: Any, **kwargs: Any) -> Any:
            real(*args, **kwargs)
            if only(*args):
                raise Crash(point)

        return dying

    if point == "lines":  # the batch's first write: its dated lines
        patch = mock.patch.object(
            batch_module,
            "insert_rows",
            after(batch_module.insert_rows, lambda conn, table, rows: table is schema.lines),
        )
    elif point == "alerts":  # every row of the batch, all but the tracking position
        patch = mock.patch.object(batch_module, "write_alerts", after(batch_module.write_alerts))
    else:  # the tracking position too
        patch = mock.patch.object(projection, "_advance", after(projection._advance))  # fmt: skip
    with patch:
        yield


@PROPERTY
@given(portfolio=portfolios(), data=st.data())
def test_a_crash_mid_batch_leaves_nothing_and_a_new_projection_catches_up(
    database_url: str, portfolio: Portfolio, data: st.DataObject
) -> None:
    with fresh_store(database_url) as store:
        last = record_all(store, portfolio)
        first = ReadModelProjection(store.ledger, store.engine, store.ledger.clock)
        done = data.draw(st.integers(0, last - 1), label="projected before the crash")
        while first.position() < done:
            first.run_once(done - first.position())
        before = tables(store.engine)

        point = data.draw(st.sampled_from(["lines", "alerts", "advance"]), label="crash point")
        limit = data.draw(st.integers(1, last - done), label="crashing batch")
        with crash_at(point, first), pytest.raises(Crash):
            first.run_once(limit)
        assert first.position() == done
        assert tables(store.engine) == before, "the failed batch left rows behind"

        if data.draw(st.booleans(), label="the crashed projection retries first"):
            assert first.run_once(limit) == limit  # as the runner does: the same batch again
            assert first.position() == done + limit
        # A new process (a new projection) takes over from the committed position.
        restarted = ReadModelProjection(store.ledger, store.engine, store.ledger.clock)
        while restarted.run_once(data.draw(st.integers(1, 8), label="batch after restart")):
            pass
        recovered = tables(store.engine)
        assert_complete(recovered, portfolio, last)
        assert_same(rebuilt(store), recovered)


@PROPERTY
@given(portfolio=portfolios(), limits=st.tuples(st.integers(1, 8), st.integers(1, 8)))
def test_two_projections_racing_on_one_database_never_double_count(
    database_url: str, portfolio: Portfolio, limits: tuple[int, int]
) -> None:
    with fresh_store(database_url) as store:
        last = record_all(store, portfolio)
        engines = [sync_engine(store.url) for _ in limits]
        conflicts, failures = [0, 0], [0, 0]
        kinds: set[str] = set()
        start = threading.Barrier(2)

        def follow(i: int) -> None:
            projection = ReadModelProjection(store.ledger, engines[i], store.ledger.clock)
            start.wait()
            deadline = time.monotonic() + 30
            while projection.position() < last and time.monotonic() < deadline:
                try:
                    projection.run_once(limits[i])
                except TrackingConflict:
                    conflicts[i] += 1
                except Exception as e:  # e.g. both inserting the first tracking row; retried like the runner does
                    failures[i] += 1
                    kinds.add(type(e).__name__ + ": " + str(e).splitlines()[0][:80])

        try:
            racers = [threading.Thread(target=follow, args=(i,)) for i in range(2)]
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join(timeout=60)
        finally:
            for engine in engines:
                engine.dispose()
        event(f"tracking conflicts: {'some' if sum(conflicts) else 'none'}")
        # Losing the race is a TrackingConflict, or (both inserting the first tracking row, or SQLite's
        # single writer) an IntegrityError or a lock timeout; any other error is the projector's.
        assert all(kind.startswith(("IntegrityError", "OperationalError")) for kind in kinds), kinds
        raced = tables(store.engine)
        assert_complete(raced, portfolio, last)
        assert_same(rebuilt(store), raced)


def test_a_batch_that_lost_the_race_is_rolled_back(database_url: str) -> None:
    """Deterministically: B reads the position, A commits, B's conditional update moves nothing."""
    with fresh_store(database_url) as store:
        store.record([opened("C-1")])
        a = ReadModelProjection(store.ledger, store.engine, store.ledger.clock)
        b = ReadModelProjection(store.ledger, store.engine, store.ledger.clock)
        a.run_once()
        last = store.record([invoice("F-1", "100.00", account="C-1"), invoice("F-2", "50.00", account="C-1")])
        stale = b.position()  # B reads the position, then A projects and commits the batch first
        a.run_once()
        assert stale < a.position() == last
        settled = tables(store.engine)
        with mock.patch.object(b, "position", lambda conn=None: stale), pytest.raises(TrackingConflict):
            b.run_once()
        assert tables(store.engine) == settled
        with store.engine.connect() as conn:
            outstanding = conn.execute(select(schema.accounts.c.outstanding)).scalar()
        assert outstanding == 150 * 10_000


# -- time passing: the daily sweep ---------------------------------------------------------------------


def open_overdue(store: Store) -> list[tuple[str, str]]:
    a = schema.alerts.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(a.account, a.subject).where(a.type == "overdue", a.cleared_at.is_(None)))
        return sorted((r.account, r.subject) for r in rows)


def test_the_daily_sweep_raises_overdue_alerts_that_time_alone_brought(database_url: str) -> None:
    with fresh_store(database_url) as store:
        clock = Clock()
        due = BASE + timedelta(days=1)
        store.record([opened("C-1"), invoice("F-1", "100.00", BASE.isoformat(), due.isoformat(), account="C-1")])
        projection = ReadModelProjection(store.ledger, store.engine, clock)
        projection.run_until_caught_up()
        assert open_overdue(store) == []
        clock.now += timedelta(days=3)
        assert projection.run_once() == 0  # nothing to project; but a new day: the sweep
        assert open_overdue(store) == [("C-1", "F-1")]
        with store.engine.connect() as conn:
            raised_at = conn.execute(select(schema.alerts.c.raised_at)).scalar()
        midnight = datetime.combine(due + timedelta(days=1), datetime.min.time(), UTC)
        assert (raised_at if raised_at.tzinfo else raised_at.replace(tzinfo=UTC)) == midnight
        # A rebuild on that day has the same alert, raised the day after the due date.
        swept = tables(store.engine)
        reset(store.engine)
        ReadModelProjection(store.ledger, store.engine, clock).run_until_caught_up()
        assert differences(tables(store.engine), swept) == {}


def test_an_invoice_paid_on_time_has_no_overdue_alert_whatever_the_batches(database_url: str) -> None:
    with fresh_store(database_url) as store:
        due = BASE + timedelta(days=1)
        store.record([opened("C-1"), invoice("F-1", "100.00", BASE.isoformat(), due.isoformat(), account="C-1")])
        store.record([payment("P-1", "100.00", BASE.isoformat(), [("F-1", "100.00")], account="C-1")])  # on time
        later = Clock()
        later.now += timedelta(days=3)  # the read model is rebuilt three days later
        ReadModelProjection(store.ledger, store.engine, later).run_until_caught_up()  # in one batch
        assert open_overdue(store) == []
        in_one_batch = tables(store.engine)
        reset(store.engine)
        projection = ReadModelProjection(store.ledger, store.engine, later)
        while projection.run_once(1):  # the invoice and its payment in different batches
            pass
        assert open_overdue(store) == []
        assert differences(tables(store.engine), in_one_batch) == {}


def test_an_overdue_alert_swept_by_one_projector_is_not_raised_again_by_another(database_url: str) -> None:
    with fresh_store(database_url) as store:
        clock = Clock()
        due = BASE + timedelta(days=1)
        store.record([opened("C-1"), invoice("F-1", "100.00", BASE.isoformat(), due.isoformat(), account="C-1")])
        a = ReadModelProjection(store.ledger, store.engine, clock)
        b = ReadModelProjection(store.ledger, store.engine, clock)
        a.run_until_caught_up()
        clock.now += timedelta(days=3)
        b.run_once()  # B's daily sweep raises F-1's overdue alert
        assert open_overdue(store) == [("C-1", "F-1")]
        store.record([payment("P-1", "30.00", BASE.isoformat(), [("F-1", "30.00")], account="C-1")])
        a.run_until_caught_up()  # A still holds C-1 at this version, with no overdue alert known
        assert open_overdue(store) == [("C-1", "F-1")]


def test_a_restarted_projection_keeps_counting_open_disputes_of_settled_invoices(database_url: str) -> None:
    with fresh_store(database_url) as store:
        store.record([
            opened("C-1"),
            invoice("F-1", "100.00", account="C-1"),
            envelope("d-1", "DisputeOpened", "C-1", dispute_id="D-1", invoice_id="F-1", amount="40.00",
                     reason="damaged", opened_date="2026-03-05"),
            payment("P-1", "100.00", "2026-03-10", [("F-1", "100.00")], account="C-1"),
        ])  # fmt: skip
        ReadModelProjection(store.ledger, store.engine, store.ledger.clock).run_until_caught_up()
        store.record([envelope("o-1", "OrderPlaced", "C-1", order_id="O-1", amount="10.00", order_date="2026-03-11")])
        ReadModelProjection(store.ledger, store.engine, store.ledger.clock).run_until_caught_up()  # a restart
        with store.engine.connect() as conn:
            disputed = conn.execute(select(schema.accounts.c.disputed)).scalar()
        assert disputed == 40 * 10_000  # D-1 is still open
        restarted = tables(store.engine)
        assert_same(rebuilt(store), restarted)


def test_a_dispute_alert_is_cleared_after_a_restart_whatever_the_dispute_id(database_url: str) -> None:
    with fresh_store(database_url) as store:
        store.record([
            opened("1001"),
            invoice("F-1", "100.00", account="1001"),
            envelope("d-1", "DisputeOpened", "1001", dispute_id="1001", invoice_id="F-1", amount="40.00",
                     reason="damaged", opened_date="2026-03-05"),
        ])  # fmt: skip
        ReadModelProjection(store.ledger, store.engine, store.ledger.clock).run_until_caught_up()
        store.record([envelope("d-1r", "DisputeResolved", "1001", dispute_id="1001", outcome="rejected",
                               resolved_date="2026-03-20")])  # fmt: skip
        ReadModelProjection(store.ledger, store.engine, store.ledger.clock).run_until_caught_up()  # a restart
        a = schema.alerts.c
        with store.engine.connect() as conn:
            still_open = conn.execute(
                select(a.type, a.subject).where(a.type == "dispute_opened", a.cleared_at.is_(None))
            ).all()
        assert still_open == []
