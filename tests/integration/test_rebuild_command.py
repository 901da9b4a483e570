"""`o2c rebuild`: the read model replayed from the log equals the one the live
projection kept, its risk reviews done, and on PostgreSQL it is left vacuumed and analyzed, so the
views' plans and index-only scans hold at once."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from o2c.cli import main
from o2c.projections.database import sync_engine
from o2c.projections.projector import VIEW
from o2c.projections.reviewed import REVIEWED_POSITION
from tests.integration.conftest import BI, invoice, make_service, opened, payment, stop_service
from tests.integration.portfolio_strategies import differences, tables


def test_a_rebuild_replays_the_same_read_model_and_tidies_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    service, app = make_service(database_url)
    try:
        facts = [opened("R-1"), invoice("F-1", "300.00", account="R-1"),
                 payment("P-1", "100.00", "2026-03-20", [("F-1", "100.00")], account="R-1")]  # fmt: skip
        response = service.post({"events": facts})
        assert response.status_code == 201, response.text
        last = max(r["position"] for r in response.json()["results"])
        caught_up = service.client.get("/v1/accounts/R-1", headers={**BI, "X-O2C-After": str(last)})
        assert caught_up.status_code == 200 and caught_up.json()["outstanding"] == "200.00"
    finally:
        stop_service(app)
    engine = sync_engine(database_url)
    try:
        live = tables(engine)
        monkeypatch.setenv("O2C_DATABASE_URL", database_url)
        main(["rebuild"])
        assert "rebuilt the read model from 3 events" in capsys.readouterr().out
        assert differences(tables(engine), live) == {}
        with engine.connect() as conn:  # the reviews done too: no view waits for them after a rebuild
            positions = dict(conn.execute(text("SELECT view, position FROM rm_tracking")).tuples().all())
        assert positions[REVIEWED_POSITION] == positions[VIEW] == last
        if engine.dialect.name == "postgresql":
            tidied = "SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL FROM pg_stat_user_tables"
            with engine.connect() as conn:
                assert conn.execute(text(f"{tidied} WHERE relname = :t"), {"t": "rm_lines"}).scalar()
    finally:
        engine.dispose()
