"""Concurrent writers on the same account never lose an update: two services
over one store (as two processes would be) race on the same accounts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.integration.conftest import invoice, make_service, opened, stop_service


def test_racing_services_lose_no_update(database_url: str) -> None:
    first, app1 = make_service(database_url)
    second, app2 = make_service(database_url)
    try:
        assert first.post({"events": [opened("A"), opened("B")]}).status_code == 201
        # Both services now keep A and B in memory; each write makes the other's copy stale.
        posts = [
            (svc, invoice(f"F-{n}", "10.00", account="AB"[n % 2]))
            for n in range(60)
            for svc in ([first] if n % 3 else [second])
        ]
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(lambda job: job[0].post(job[1]).status_code, posts))
        assert statuses == [201] * len(posts)
        # The race was real: some batches lost it, and were replayed on fresh state.
        assert app1.state.ledger.conflicts_retried + app2.state.ledger.conflicts_retried > 0
        for account, expected in (("A", 30), ("B", 30)):
            state = first.state(account).json()
            assert state["outstanding"] == f"{expected * 10}.00"
            assert len(first.history(account, limit=1000).json()["events"]) == expected + 1
    finally:
        stop_service(app1)
        stop_service(app2)


def test_the_same_event_posted_by_racing_services_is_recorded_once(database_url: str) -> None:
    first, app1 = make_service(database_url)
    second, app2 = make_service(database_url)
    try:
        first.post(opened("A"))
        second.history("A")  # warm the second service
        same = invoice("F-1", "10.00", account="A")
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda svc: svc.post(same).json()["results"][0], [first, second] * 8))
        assert sorted({r["status"] for r in results}) in (["duplicate", "recorded"], ["duplicate"])
        assert sum(r["status"] == "recorded" for r in results) == 1
        assert len({r["position"] for r in results}) == 1
        assert first.state("A").json()["outstanding"] == "10.00"
    finally:
        stop_service(app1)
        stop_service(app2)
