"""The event store's recorders, extended with the ledger's receipts.

A receipt remembers each ERP `event_id` with a fingerprint of its content
and the position its event got in the global log. Receipts are inserted in
the same transaction as the events they acknowledge, so an acknowledged
fact and its idempotency key are never apart; a reused `event_id` breaks the
receipts' primary key and rolls the whole batch back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory
from psycopg.sql import SQL, Identifier

RECEIPTS_TABLE = "o2c_receipts"


class Receipt(NamedTuple):
    event_id: str
    account: str
    fingerprint: str
    position: int = 0


class PositionedEvent(NamedTuple):
    position: int
    stored: StoredEvent


def _receipt_rows(receipts: Sequence[Receipt], positions: Sequence[int]) -> list[tuple[str, str, str, int]]:
    # One receipt per stored event, in the same order.
    assert len(receipts) == len(positions), "every recorded event needs its receipt"
    return [(r.event_id, r.account, r.fingerprint, p) for r, p in zip(receipts, positions, strict=True)]


class SQLiteLedgerRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {RECEIPTS_TABLE} (event_id TEXT PRIMARY KEY, "
            "account TEXT NOT NULL, fingerprint TEXT NOT NULL, position INTEGER NOT NULL)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        receipts = kwargs.get("receipts")
        if receipts and positions is not None:
            c.executemany(f"INSERT INTO {RECEIPTS_TABLE} VALUES (?,?,?,?)", _receipt_rows(receipts, positions))
        return positions

    def select_receipts(self, event_ids: Sequence[str]) -> dict[str, Receipt]:
        found: dict[str, Receipt] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(event_ids), 500):
                chunk = list(event_ids[start : start + 500])
                c.execute(
                    f"SELECT event_id, account, fingerprint, position FROM {RECEIPTS_TABLE} "
                    f"WHERE event_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                for row in c.fetchall():
                    found[row[0]] = Receipt(row[0], row[1], row[2], row[3])
        return found

    def select_positioned_events(
        self, originator_id: str, *, after_version: int = 0, limit: int | None = None
    ) -> list[PositionedEvent]:
        statement = (
            f"SELECT rowid, originator_version, topic, state FROM {self.events_table_name} "
            "WHERE originator_id = ? AND originator_version > ? ORDER BY originator_version"
        )
        params: list[Any] = [originator_id, after_version]
        if limit is not None:
            statement += " LIMIT ?"
            params.append(limit)
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return [PositionedEvent(row[0], StoredEvent(originator_id, row[1], row[2], row[3])) for row in c.fetchall()]


class PostgresLedgerRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        receipts = Identifier(self.datastore.schema, RECEIPTS_TABLE)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0} (event_id text PRIMARY KEY, "
                "account text NOT NULL, fingerprint text NOT NULL, position bigint NOT NULL)"
            ).format(receipts)
        )
        self._insert_receipts = SQL(
            "INSERT INTO {0} (event_id, account, fingerprint, position) "
            "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[])"
        ).format(receipts)
        self._select_receipts = SQL(
            "SELECT event_id, account, fingerprint, position FROM {0} WHERE event_id = ANY(%s)"
        ).format(receipts)
        self._select_positioned = SQL(
            "SELECT notification_id, originator_version, topic, state FROM {0} "
            "WHERE originator_id = %s AND originator_version > %s ORDER BY originator_version LIMIT %s"
        ).format(Identifier(self.datastore.schema, self.events_table_name))

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        receipts = kwargs.get("receipts")
        if receipts and positions is not None:
            columns = list(zip(*_receipt_rows(receipts, positions), strict=True))
            curs.execute(self._insert_receipts, [list(column) for column in columns])
        return positions

    def select_receipts(self, event_ids: Sequence[str]) -> dict[str, Receipt]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_receipts, [list(event_ids)])
            return {
                row["event_id"]: Receipt(row["event_id"], row["account"], row["fingerprint"], row["position"])
                for row in curs.fetchall()
            }

    def select_positioned_events(
        self, originator_id: str, *, after_version: int = 0, limit: int | None = None
    ) -> list[PositionedEvent]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_positioned, [originator_id, after_version, limit])
            return [
                PositionedEvent(
                    row["notification_id"],
                    StoredEvent(originator_id, row["originator_version"], row["topic"], bytes(row["state"])),
                )
                for row in curs.fetchall()
            ]


class SQLiteLedgerFactory(SQLiteFactory):
    application_recorder_class = SQLiteLedgerRecorder


class PostgresLedgerFactory(PostgresFactory):
    application_recorder_class = PostgresLedgerRecorder
