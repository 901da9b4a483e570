"""The timed alerts (overdue, promise broken) do not depend on where the projector's
batch boundaries fall: the sample portfolio (~1,400 facts, recorded 200 to a ledger
transaction, within a second) projected in batches of 3,000, of 20 and of 1 gives the
same alerts, open and cleared, and the same timed conditions. The projector's clock is
fixed before the recordings, as a rebuild's in a test, or a projector whose clock lags
the recording host's: a batch caught up (seen up to the clock) and one that is not (seen
up to its last fact) once disagreed on what had been seen, and an alert starting with
the last fact of a batch was not raised by it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine

from o2c.api.envelopes import parse_body
from o2c.config import eventstore_env
from o2c.ledger.application import Ledger
from o2c.projections.database import migrate, reset, sync_engine
from o2c.projections.projector import ReadModelProjection
from o2c.projections.rules import TIMED
from tests.integration.portfolio_strategies import differences, tables
from tests.integration.test_kafka_ingest import FACTS

Tables = dict[str, list[tuple[Any, ...]]]


def projected(ledger: Ledger, engine: Engine, limit: int, now: datetime) -> Tables:
    """The read model's alerts and timed conditions, projected from empty in batches of `limit`."""
    reset(engine)
    projection = ReadModelProjection(ledger, engine, clock=lambda: now)
    while projection.run_once(limit=limit):
        pass
    while projection.review.review_some():
        pass
    found = tables(engine)
    return {name: found[name] for name in ("rm_alerts", "rm_timed_conditions")}


def test_timed_alerts_are_the_same_whatever_the_batches(postgres_url: str) -> None:
    migrate(postgres_url)
    ledger, engine = Ledger(eventstore_env(postgres_url)), sync_engine(postgres_url)
    try:
        before = datetime.now(UTC)  # the projector's clock: before every recording
        for start in range(0, len(FACTS), 200):
            envelopes, _ = parse_body(orjson.dumps({"events": FACTS[start : start + 200]}))
            ledger.record(envelopes)
        after = datetime.now(UTC)
        whole = projected(ledger, engine, 3000, before)
        # What the batches once disagreed on is there: overdue alerts raised and cleared
        # (an invoice paid in the transaction that recorded it), a plan's spells open.
        timed = {(row[1], row[6] is None) for row in whole["rm_alerts"] if row[1] in TIMED}
        assert timed >= {("overdue", False), ("overdue", True), ("promise_broken", True)}
        for limit in (20, 1):
            assert differences(whole, projected(ledger, engine, limit, before)) == {}, f"batches of {limit}"
        if after.date() == before.date():  # no business day began meanwhile
            assert differences(whole, projected(ledger, engine, 3000, after)) == {}, "a clock after the recordings"
    finally:
        ledger.close()
        engine.dispose()
