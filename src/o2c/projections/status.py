"""What the projecting process tells the API, in the read model's database: the
API may not be the process that projects (`o2c serve --projection process`, or a
separate `o2c project`), so /health and /metrics read it from there."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from o2c.projections import schema
from o2c.projections.bulk import upsert_rows
from o2c.projections.parking import ERROR_CHARS, clean
from o2c.projections.partitions import reached_position

VIEW = "read_model"
S = schema.projector.c
log = logging.getLogger("o2c.projections")


def add_errors(conn: Connection, count: int, last_error: str, at: datetime, failing: bool | None = None) -> None:
    """Counts failed attempts (in the caller's transaction)."""
    row = {"view": VIEW, "errors": count, "failing": bool(failing), "last_error": clean(last_error)[:ERROR_CHARS],
           "last_error_at": at}  # fmt: skip

    def then(new: Any) -> dict[str, Any]:
        changes = {"errors": S.errors + new.errors, "last_error": new.last_error, "last_error_at": new.last_error_at}
        return changes if failing is None else {**changes, "failing": new.failing}

    upsert_rows(conn, schema.projector, [row], ["view"], then)


def record_failure(engine: Engine, error: BaseException, at: datetime) -> None:
    """A batch failed and will be retried: counted, and the projector shown failing.
    Best effort: the database may be what failed."""
    try:
        with engine.begin() as conn:
            add_errors(conn, 1, f"{type(error).__name__}: {error}", at, failing=True)
    except Exception:
        log.warning("could not record the projection's failure in the read model", exc_info=True)


def record_recovered(engine: Engine) -> bool:
    """The batch that failed went through; returns whether that was recorded."""
    try:
        with engine.begin() as conn:
            conn.execute(update(schema.projector).where(S.view == VIEW).values(failing=False))
        return True
    except Exception:
        log.warning("could not record the projection's recovery in the read model", exc_info=True)
        return False


def status_query(kafka_topic: str | None = None) -> Any:
    """One row: the projector's counters, its position (the Kafka workers' on `kafka_topic`:
    partitions.py), and what is parked."""
    t, p = schema.tracking.c, schema.parked.c
    position = select(t.position).where(t.view == VIEW) if kafka_topic is None else reached_position(kafka_topic)
    return select(
        position.scalar_subquery().label("position"),
        select(S.errors).where(S.view == VIEW).scalar_subquery().label("errors"),
        select(S.failing).where(S.view == VIEW).scalar_subquery().label("failing"),
        select(S.last_error_at).where(S.view == VIEW).scalar_subquery().label("last_error_at"),
        select(func.count(func.distinct(p.account))).scalar_subquery().label("parked_accounts"),
        select(func.count()).select_from(schema.parked).scalar_subquery().label("parked_facts"),
    )
