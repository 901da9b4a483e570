"""alerts carry the business date their condition started

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 02:00:00

rm_alerts.effective_date: the business date an alert's condition started, beside
raised_at (when o2c recorded it; after a historical load, the load's time for
every alert). Alerts raised before this revision get it from what they hold: an
overdue alert the day after the due date in its details, a broken promise or
plan its `broken_on`; any other the UTC date it was raised. `o2c rebuild` gives
those the business date of the fact that raised them, as the projection now does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_FILL = {
    "postgresql": """
        UPDATE rm_alerts SET effective_date = CASE
            WHEN type = 'overdue' AND details->>'due_date' IS NOT NULL THEN CAST(details->>'due_date' AS DATE) + 1
            WHEN type = 'promise_broken' AND details->>'broken_on' IS NOT NULL
                THEN CAST(details->>'broken_on' AS DATE)
            ELSE CAST(raised_at AT TIME ZONE 'UTC' AS DATE)
        END""",
    # SQLite keeps dates as ISO text, and UTC moments as 'YYYY-MM-DD HH:MM:SS…'.
    "sqlite": """
        UPDATE rm_alerts SET effective_date = CASE
            WHEN type = 'overdue' AND json_extract(details, '$.due_date') IS NOT NULL
                THEN date(json_extract(details, '$.due_date'), '+1 day')
            WHEN type = 'promise_broken' AND json_extract(details, '$.broken_on') IS NOT NULL
                THEN json_extract(details, '$.broken_on')
            ELSE substr(raised_at, 1, 10)
        END""",
}


def upgrade() -> None:
    op.add_column("rm_alerts", sa.Column("effective_date", sa.Date(), nullable=True))
    op.execute(_FILL[op.get_bind().dialect.name])
    with op.batch_alter_table("rm_alerts") as batch:
        batch.alter_column("effective_date", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("rm_alerts") as batch:
        batch.drop_column("effective_date")
