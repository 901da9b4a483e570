"""Read-your-writes on every view (issue 9 §3): a GET that reads the read model,
sent with `X-O2C-After: P`, answers with P projected, the risk review of the
accounts it touched included, or 504 once the bound has passed.

Every GET route of the OpenAPI is walked (a new route is covered by itself):
with the projector held back, each must wait (504); once it runs, each answers
with the write. The routes that read the ledger itself are exempt, with why."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select

from o2c.projections import schema
from o2c.projections.projector import VIEW, ReadModelProjection
from o2c.projections.reviewed import REVIEWED_POSITION
from tests.integration.conftest import BI, Service, invoice, make_service, opened, payment, stop_service
from tests.integration.portfolio_strategies import fresh_store

ROOT = {"Authorization": "Bearer root"}  # admin: every scope
ACCOUNT, SCENARIO, RATES_DAY = "RYW-1", "ryw", "2026-11-30"
# Fresh as the ledger is, without waiting: they do not read the read model.
EXEMPT = {
    "/v1/accounts/{account}/history": "the ledger's own record",
    "/v1/accounts/{account}/state": "the account rebuilt from the ledger",
    "/v1/collections/scenarios/{name}": "the scenario's versions, from the ledger",
    "/health": "the projection's own progress: waiting would hide the lag it reports",
    "/metrics": "the projection's own progress: waiting would hide the lag it reports",
}
PATH_VALUES = {"account": ACCOUNT, "name": SCENARIO, "date": RATES_DAY}
QUERY_VALUES = {"month": "2026-03"}  # the required query parameters


def get_routes(app: Any) -> list[tuple[str, str, dict[str, str]]]:
    """(template, URL, required query) of every GET route the OpenAPI documents."""
    routes = []
    for template, operations in app.openapi()["paths"].items():
        if "get" not in operations:
            continue
        url, query = template, {}
        for parameter in operations["get"].get("parameters", []):
            name, where = parameter["name"], parameter["in"]
            if where == "path":
                assert name in PATH_VALUES, f"{template}: give path parameter {name} a value in PATH_VALUES"
                url = url.replace(f"{{{name}}}", PATH_VALUES[name])
            elif where == "query" and parameter.get("required"):
                assert name in QUERY_VALUES, f"{template}: give query parameter {name} a value in QUERY_VALUES"
                query[name] = QUERY_VALUES[name]
        routes.append((template, url, query))
    return routes


@contextmanager
def projector_held(app: Any) -> Iterator[None]:
    """The projection thread stops before its next batch until the block ends."""
    projection, gate, held = app.state.projection, threading.Event(), threading.Event()
    real = projection.run_once

    def held_back(*args: Any, **kwargs: Any) -> int:
        held.set()
        gate.wait()
        return real(*args, **kwargs)

    projection.run_once = held_back
    try:
        assert held.wait(5), "the projection thread did not come back for a batch"
        yield
    finally:
        projection.run_once = real
        gate.set()


def write_everything(service: Service) -> int:
    """Facts, a scenario and a day's rates; the last position written."""
    posted = service.post({"events": [
        opened(ACCOUNT), invoice("F-1", "1000.00", "2026-01-01", "2026-01-31", account=ACCOUNT),
        payment("P-1", "1000.00", "2026-01-30", [("F-1", "1000.00")], account=ACCOUNT),
        invoice("F-2", "500.00", "2026-03-01", "2026-03-31", account=ACCOUNT),
    ]})  # fmt: skip
    steps = {"steps": [{"offset_days": 1, "channel": "email", "action": "reminder"}], "risk_classes": []}
    scenario = service.client.put(f"/v1/collections/scenarios/{SCENARIO}", json=steps, headers=ROOT)
    rates = service.client.put(f"/v1/fx-rates/{RATES_DAY}", json={"base": "EUR", "rates": {"USD": "1.08"}},
                               headers=ROOT)  # fmt: skip
    assert (posted.status_code, scenario.status_code, rates.status_code) == (201, 201, 201), (
        posted.text, scenario.text, rates.text)  # fmt: skip
    return max(posted.json()["results"][-1]["position"], scenario.json()["position"], rates.json()["position"])


def test_every_get_route_waits_for_the_position_asked_or_answers_504(database_url: str) -> None:
    service, app = make_service(database_url, read_your_writes_timeout_s=0.5)
    try:
        routes = get_routes(app)
        assert {t for t, _, _ in routes} >= set(EXEMPT), "an exempt route is gone: take it off EXEMPT"
        with projector_held(app):
            after = {**ROOT, "X-O2C-After": str(write_everything(service))}

            def asked(route: tuple[str, str, dict[str, str]]) -> tuple[int, float]:
                started = time.monotonic()
                response = service.client.get(route[1], params=route[2], headers=after)
                return response.status_code, time.monotonic() - started

            with ThreadPoolExecutor(8) as pool:
                held_answers = list(pool.map(asked, routes))
        for (template, _, _), (status, elapsed) in zip(routes, held_answers, strict=True):
            if template in EXEMPT:
                assert status == 200, f"{template} answered {status}: if it reads the read model, take it off EXEMPT"
            else:
                assert (status, elapsed >= 0.45) == (504, True), f"{template} did not wait: {status} in {elapsed:.2f}s"
        # The projector runs again: every route answers, with the write.
        for template, url, query in routes:
            response = service.client.get(url, params=query, headers=after)
            assert response.status_code == 200, (template, response.text)
        summary = service.client.get(f"/v1/accounts/{ACCOUNT}", headers=after).json()
        assert (summary["outstanding"], summary["risk"]["set_by"]) == ("500.00", "score")
        assert summary["risk"]["class"] is not None and summary["risk"]["score"] is not None
        listed = service.client.get("/v1/collections/scenarios", headers=after).json()["scenarios"]
        assert SCENARIO in [s["name"] for s in listed]
    finally:
        stop_service(app)


def risk_after(service: Service, position: int) -> dict[str, Any]:
    response = service.client.get(f"/v1/accounts/{ACCOUNT}", headers={**BI, "X-O2C-After": str(position)})
    assert response.status_code == 200, response.text
    risk: dict[str, Any] = response.json()["risk"]
    return risk


def test_a_position_reached_is_a_risk_reviewed(database_url: str) -> None:
    """The risk review runs after the batch's commit (here a moment later): a view
    waiting for the batch's position shows the review's class and its downgrade."""
    service, app = make_service(database_url)
    try:
        review = app.state.projection.review
        real = review.review_some

        def late(*args: Any, **kwargs: Any) -> int:
            time.sleep(0.2)
            return real(*args, **kwargs)

        review.review_some = late
        first = service.post({"events": [
            opened(ACCOUNT), invoice("G-1", "1000.00", "2026-01-01", "2026-01-31", account=ACCOUNT),
            payment("P-1", "1000.00", "2026-01-30", [("G-1", "1000.00")], account=ACCOUNT),
        ]}).json()["results"][-1]["position"]  # fmt: skip
        risk = risk_after(service, first)
        assert (risk["class"], risk["set_by"], risk["score"]["points"]) == ("A", "score", "0.0")
        # Long past due and never paid: the class drops to D, and the review raises its downgrade.
        later = service.post(invoice("G-2", "5000.00", "2026-02-01", "2026-02-28", account=ACCOUNT))
        position = later.json()["results"][-1]["position"]
        params = {"account": ACCOUNT, "type": "rating_downgraded"}
        alerts = service.client.get("/v1/alerts", params=params, headers={**BI, "X-O2C-After": str(position)})
        assert [(a["subject"], a["details"]["from"], a["details"]["to"]) for a in alerts.json()["alerts"]] == [
            ("risk_class", "A", "D")
        ]
        assert risk_after(service, position)["class"] == "D"
    finally:
        stop_service(app)


def reviewed_position(engine: Any) -> dict[str, int]:
    t = schema.tracking.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.view, t.position).where(t.view.in_((VIEW, REVIEWED_POSITION))))
        return {row.view: row.position for row in rows}


def test_a_projector_stopped_before_its_review_has_it_done_at_restart(database_url: str) -> None:
    with fresh_store(database_url) as store:
        last = store.record([opened(ACCOUNT), invoice("F-1", "100.00", account=ACCOUNT)])
        stopped = ReadModelProjection(store.ledger, store.engine, store.ledger.clock)
        stopped.review.review_some = lambda *a, **k: 0  # the process dies between the batch and its review
        stopped.run_until_caught_up()
        assert reviewed_position(store.engine) == {VIEW: last, REVIEWED_POSITION: 0}
        ReadModelProjection(store.ledger, store.engine, store.ledger.clock).run_once()
        assert reviewed_position(store.engine) == {VIEW: last, REVIEWED_POSITION: last}
        c = schema.collections.c
        with store.engine.connect() as conn:
            assert conn.execute(select(c.risk_class).where(c.account == ACCOUNT)).scalar() is not None


def test_the_reviewed_position_moves_only_over_spans_that_join_it(database_url: str) -> None:
    """Two projectors: a span another projector's batch separates waits for that batch's review."""
    with fresh_store(database_url) as store:
        review = ReadModelProjection(store.ledger, store.engine, store.ledger.clock).review
        review.resume(0)
        for span in ((0, 4), (6, 9)):  # (4, 6] is another projector's batch
            review.enqueue([], span)
        review.review_some()
        assert reviewed_position(store.engine)[REVIEWED_POSITION] == 4
        other = ReadModelProjection(store.ledger, store.engine, store.ledger.clock).review
        other.resume(0)
        other.enqueue([], (4, 6))
        other.review_some()  # the other projector's batch is reviewed: the first's joins it
        assert reviewed_position(store.engine)[REVIEWED_POSITION] == 6
        review.review_some()
        assert reviewed_position(store.engine)[REVIEWED_POSITION] == 9
