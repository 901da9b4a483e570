"""Sequenced dead letters (as Axon Framework's): when the projection cannot apply
a fact, that fact and every later fact of the same account are parked, in order,
in the read model's database, while every other account goes on. A retry
(projections/retry.py) applies them once the cause is fixed.

A fault is parked only when it is the fact's: an error of the database itself
(a lost connection, a lock) is retried as before, or it would park the portfolio.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from eventsourcing import persistence
from sqlalchemy import Connection, Select, func, insert, select, update
from sqlalchemy import exc as sa

from o2c.domain.alerts import SEVERITY as SEVERITIES
from o2c.projections import schema
from o2c.projections.alerting import utc
from o2c.projections.bulk import upsert_rows

# Counts the retries (a row of rm_tracking, like the risk review's count): a projector
# reads it with its position and commits only if it has not moved, so a batch worked
# out while a retry applied an account's parked facts is rolled back, never mixed in.
RETRIES = "parked_retries"
ALERT = "projection_parked"
SEVERITY = SEVERITIES[ALERT]
ERROR_CHARS = 2000
P, T = schema.parked.c, schema.tracking.c

_TRANSIENT = (
    sa.OperationalError,
    sa.InterfaceError,
    sa.DisconnectionError,
    sa.TimeoutError,
    persistence.OperationalError,
    persistence.InterfaceError,
    persistence.ConnectionUnavailableError,
    persistence.ConnectionPoolClosedError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
)


def is_transient(error: BaseException) -> bool:
    """The database's fault, not the fact's: retry the same batch, park nothing."""
    from o2c.projections.tracking import TrackingConflict

    return isinstance(error, (*_TRANSIENT, TrackingConflict)) or not isinstance(error, Exception)


def describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return clean(text)[:ERROR_CHARS]


def clean(text: str) -> str:
    """PostgreSQL text holds no NUL: a parked row must be writable whatever the fact held."""
    return text.replace("\x00", "\\x00") if "\x00" in text else text


class Unprojectable(Exception):
    """Projecting the fact at `position` of account `code` failed."""

    def __init__(self, code: str, notification: Any, error: BaseException, event: Any = None) -> None:
        super().__init__(describe(error))
        self.code, self.notification, self.error, self.event = code, notification, error, event

    @property
    def position(self) -> int:
        return int(self.notification.id)


@dataclass
class Parking:
    """Accounts parked by this batch: the fact that failed first, with its error."""

    failed: dict[str, Unprojectable]

    def holds(self, code: str, position: int) -> bool:
        found = self.failed.get(code)
        return found is not None and position >= found.position

    def within(self, last: int) -> Parking:
        return Parking({c: f for c, f in self.failed.items() if f.position <= last})


def fact_type(notification: Any) -> str:
    return str(notification.topic).rpartition(".")[2]


def parked_row(notification: Any, now: datetime, failed: Unprojectable | None = None) -> dict[str, Any]:
    event_id = getattr(failed.event, "event_id", None) if failed is not None else None
    return {
        "position": notification.id, "account": clean(notification.originator_id),
        "version": notification.originator_version, "type": fact_type(notification),
        "event_id": None if event_id is None else clean(str(event_id)),
        "error": None if failed is None else str(failed), "parked_at": now,
    }  # fmt: skip


def alert_details(position: int, type_: str, event_id: str | None, error: str | None) -> dict[str, Any]:
    return {"position": position, "type": type_, "event_id": event_id, "error": error}


def raised_alert(row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    details = alert_details(row["position"], row["type"], row["event_id"], row["error"])
    return ("raise", {
        "account": row["account"], "type": ALERT, "subject": row["account"], "severity": SEVERITY,
        # Dated the day it was parked: the fact itself may be what cannot be read.
        "effective_date": row["parked_at"].date(), "raised_at": row["parked_at"], "cleared_at": None,
        "details": details,
    })  # fmt: skip


def cleared_alert(code: str, at: datetime) -> tuple[str, dict[str, Any]]:
    return ("clear", {"account": code, "type": ALERT, "subject": code, "at": at})


def update_alert_details(conn: Connection, code: str, details: dict[str, Any]) -> None:
    a = schema.alerts.c
    conn.execute(
        update(schema.alerts)
        .where(a.account == code, a.type == ALERT, a.subject == code, a.cleared_at.is_(None))
        .values(details=details)
    )


def first_positions(conn: Connection) -> dict[str, int]:
    """Parked accounts -> the position of their first parked fact."""
    return {row.account: row.first for row in conn.execute(select(P.account, func.min(P.position).label("first"))
                                                          .group_by(P.account))}  # fmt: skip


def count_retry(conn: Connection) -> None:
    """Moves the retry count, in the retry's transaction: taken first, its row lock
    orders the retry with any projector's batch (see RETRIES)."""
    upsert_rows(conn, schema.tracking, [{"view": RETRIES, "position": 1}], ["view"],
                lambda _: {"position": T.position + 1})  # fmt: skip


def start_counting(conn: Connection) -> None:
    """With the first account parked: from then on a projector's batch checks the count."""
    if conn.execute(select(T.position).where(T.view == RETRIES)).first() is None:
        conn.execute(insert(schema.tracking).values(view=RETRIES, position=0))


def summary() -> Select[Any]:
    """Each parked account: its first fact (position, type, event id, error, when), and how many wait."""
    first = (
        select(P.account, func.min(P.position).label("first"), func.count().label("facts"))
        .group_by(P.account)
        .subquery()
    )
    return (
        select(P.account, P.position, P.type, P.event_id, P.error, P.parked_at, first.c.facts)
        .join(first, (first.c.account == P.account) & (first.c.first == P.position))
        .order_by(P.position)
    )


def summary_entry(row: Any) -> dict[str, Any]:
    at = row.parked_at
    return {
        "account": row.account, "first_position": row.position, "type": row.type, "event_id": row.event_id,
        "error": row.error, "parked_at": utc(at).isoformat() if at is not None else None, "facts": row.facts,
    }  # fmt: skip
