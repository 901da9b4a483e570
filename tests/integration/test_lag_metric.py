"""/metrics tells how old the oldest fact not yet projected is (`o2c_projection_lag_seconds`),
on each store: an operator sees a stale read model in seconds, not only in events."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from o2c.api.app import create_app
from o2c.api.auth import Keyring
from o2c.config import Settings, eventstore_env
from o2c.ledger.application import Ledger
from tests.integration.conftest import TOKENS, invoice, opened
from tests.integration.test_parking_api import metric, posted


def test_the_lag_in_seconds_is_the_age_of_the_first_fact_not_projected(database_url: str) -> None:
    ledger = Ledger(eventstore_env(database_url))
    app = create_app(Settings(database_url=database_url), Keyring.parse(TOKENS), ledger, projection="none")
    with TestClient(app) as client:
        assert metric(client, "o2c_projection_lag_seconds") == 0
        posted(client, [opened("C-1"), invoice("F-1", "100.00", account="C-1")])
        time.sleep(0.5)
        posted(client, [invoice("F-2", "50.00", account="C-1")])
        assert metric(client, "o2c_projection_lag_events") == 3
        assert 0.5 <= metric(client, "o2c_projection_lag_seconds") < 30  # the first fact's age, not the last's
        app.state.projection.run_until_caught_up()
        assert metric(client, "o2c_projection_lag_seconds") == 0
    ledger.close()
