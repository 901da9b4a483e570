"""The overlapped catch-up (projections/catch_up.py: a batch written while the next is
projected) builds the same read model as the plain projector, row for row, at any batch
size; a write that fails midway hands over to the plain path, which ends the same."""

from __future__ import annotations

import threading
from typing import Any
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from o2c.projections import batch as batch_module
from o2c.projections import schema
from o2c.projections.catch_up import OverlappedCatchUp
from o2c.projections.database import reset
from o2c.projections.projector import ReadModelProjection
from tests.integration.portfolio_strategies import Portfolio, fresh_store, portfolios, tables
from tests.integration.projecting import PROPERTY, assert_same, record_all


class WriteFailed(Exception):
    """A write the database refused once (not a transient error)."""


@PROPERTY
@given(portfolio=portfolios(), size=st.integers(1, 6), head=st.integers(0, 12), fail_at=st.none() | st.integers(1, 4))
def test_an_overlapped_catch_up_equals_the_plain_projector_row_for_row(
    database_url: str, portfolio: Portfolio, size: int, head: int, fail_at: int | None
) -> None:
    """`head`: facts projected before, by another projector: the overlapped one reads those
    accounts back from the read model, some while a batch of its own is in flight."""
    with fresh_store(database_url) as store:
        clock = store.ledger.clock  # as a rebuild runs (test_projection_recovery.rebuilt)
        last = record_all(store, portfolio)
        plain = ReadModelProjection(store.ledger, store.engine, clock)
        while plain.run_once(1000):
            pass
        expected = tables(store.engine)
        assert expected["rm_tracking"] == [("read_model", last)]

        reset(store.engine)
        if head:
            ReadModelProjection(store.ledger, store.engine, clock).run_once(head)
        overlapped = ReadModelProjection(store.ledger, store.engine, clock)
        writes, real = [0], batch_module.insert_rows

        def failing_once(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
            # Only the overlapped writer's: the plain path treats a failed write as its facts' (it parks them).
            if table is schema.lines and rows and threading.current_thread().name.startswith("o2c-catch-up-writer"):
                writes[0] += 1
                if writes[0] == fail_at:
                    raise WriteFailed("refused once")
            real(conn, table, rows)

        with mock.patch.object(batch_module, "insert_rows", failing_once):
            done = OverlappedCatchUp(overlapped, size).run()
            while overlapped.run_once(size):
                pass
        full_batches = len(store.ledger.recorder.select_notifications(head + 1, 10_000)) // size * size
        if fail_at is None:
            assert done == full_batches  # every full batch went the overlapped way
        assert_same(tables(store.engine), expected)
