"""The API keeps decoded collection cases between agendas and re-reads only those
the projection rewrote: whatever happened since, a long-lived service answers
the same agenda as one that reads every case afresh."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, update

from o2c.api.agendas import Agendas
from o2c.projections import schema
from o2c.projections.database import sync_engine
from tests.integration.conftest import BI, Service, envelope, invoice, opened, payment

DAY = "2026-05-20"


def post(service: Service, *facts: dict[str, Any]) -> int:
    response = service.post({"events": list(facts)})
    assert response.status_code == 201, response.text
    return int(max(r["position"] for r in response.json()["results"]))


def agenda(service: Service, after: int) -> Any:
    response = service.client.get(
        "/v1/collections/agenda", params={"date": DAY}, headers={**BI, "X-O2C-After": str(after)}
    )
    assert response.status_code == 200, response.text
    return response.json()


def kept_and_fresh(service: Service, after: int) -> tuple[Any, Any]:
    """The agenda from the service's kept cases, then from none kept. The risk
    review runs beside the projection and may change a class between the two
    reads: asked again (for a while) until they agree, as kept cases that missed
    a change never would."""
    app: Any = service.client.app
    long_lived = app.state.agendas
    deadline = time.monotonic() + 5
    while True:
        kept = agenda(service, after)
        app.state.agendas = Agendas(long_lived.weights)
        try:
            fresh = agenda(service, after)
        finally:
            app.state.agendas = long_lived
        if kept == fresh or time.monotonic() > deadline:
            return kept, fresh
        time.sleep(0.05)


def codes(answer: Any) -> list[str]:
    return [entry["account"] for entry in answer["accounts"]]


def test_a_long_lived_agenda_follows_every_change(service: Service, database_url: str) -> None:
    position = post(
        service,
        opened("K-1", risk_class="C"),
        opened("K-2", risk_class="D"),
        opened("K-3"),
        *(invoice(f"F-{n}", "500.00", "2026-03-01", "2026-04-10", account=f"K-{n}") for n in (1, 2, 3)),
    )
    kept, fresh = kept_and_fresh(service, position)
    assert kept == fresh and sorted(codes(kept)) == ["K-1", "K-2", "K-3"]

    # K-1 pays (off the agenda), K-2 gets a second invoice and a step on the first.
    position = post(
        service,
        payment("P-1", "500.00", "2026-05-01", [("F-1", "500.00")], account="K-1"),
        invoice("F-4", "900.00", "2026-03-05", "2026-04-04", account="K-2"),
        envelope("st-1", "DunningStepRecorded", "K-2", step="formal_notice", channel="letter",
                 invoice_ids=["F-2"], step_date="2026-05-01"),
    )  # fmt: skip
    kept, fresh = kept_and_fresh(service, position)
    assert kept == fresh
    assert sorted(codes(kept)) == ["K-2", "K-3"]
    (k2,) = (entry for entry in kept["accounts"] if entry["account"] == "K-2")
    assert [item["invoice_id"] for item in k2["items"]] == ["F-4"]

    # The risk review changes K-3's class (no new fact, so its case stays as kept).
    engine = sync_engine(database_url)
    c = schema.collections.c
    try:
        deadline = time.monotonic() + 10
        with engine.connect() as conn:
            while conn.scalar(select(c.risk).where(c.account == "K-3")) is None:
                assert time.monotonic() < deadline, "the risk review never reached K-3"
                time.sleep(0.05)
                conn.rollback()
        with engine.begin() as conn:
            conn.execute(update(schema.collections).where(c.account == "K-3").values(risk_class="E"))
        position = post(service, opened("K-4"))  # a new position: the day's agenda is worked out again
        kept, fresh = kept_and_fresh(service, position)
    finally:
        engine.dispose()
    assert kept == fresh
    (k3,) = (entry for entry in kept["accounts"] if entry["account"] == "K-3")
    assert k3["risk_class"] == "E"
