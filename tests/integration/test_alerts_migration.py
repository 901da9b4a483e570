"""Migration 0007 gives the alerts kept before it their `effective_date`: an
overdue alert the day after its due date, a broken promise its break date, any
other the UTC day it was raised."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from o2c.projections.database import MIGRATIONS, sync_engine

ALERTS = sa.table(
    "rm_alerts",
    *(sa.column(name) for name in ("account", "type", "subject", "severity", "raised_at", "cleared_at")),
    sa.column("details", sa.JSON),
)


def migrate_to(url: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, revision)


def test_alerts_kept_before_0007_get_the_business_date_their_condition_started(database_url: str) -> None:
    migrate_to(database_url, "0006")
    late_evening = datetime(2026, 5, 5, 23, 30, tzinfo=UTC)
    rows = [
        ("overdue", "F-1", {"invoice_id": "F-1", "due_date": "2026-03-31"}),
        ("promise_broken", "promise:PR-1", {"kind": "promise", "id": "PR-1", "broken_on": "2026-04-11"}),
        ("limit_exceeded", "C-1", {"exposure": "1200.00", "credit_limit": "1000.00"}),
        ("dispute_opened", "D-1", {"invoice_id": "F-1", "amount": "50.00", "reason": "late"}),
    ]
    engine = sync_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(ALERTS.insert(), [
                {"account": "C-1", "type": kind, "subject": subject, "severity": "high", "raised_at": late_evening,
                 "cleared_at": None, "details": details}
                for kind, subject, details in rows
            ])  # fmt: skip
        migrate_to(database_url, "0007")
        with engine.connect() as conn:
            found = {
                row.type: row.effective_date
                for row in conn.execute(sa.text("SELECT type, effective_date FROM rm_alerts"))
            }
    finally:
        engine.dispose()
    assert {kind: str(day) for kind, day in found.items()} == {
        "overdue": "2026-04-01",
        "promise_broken": "2026-04-11",
        "limit_exceeded": "2026-05-05",
        "dispute_opened": "2026-05-05",
    }
