"""The event store's recorders, extended with the ledger's receipts.

A receipt remembers each ERP `event_id` with a fingerprint of its content
and the position its event got in the global log. Receipts are inserted in
the same transaction as the events they acknowledge, so an acknowledged
fact and its idempotency key are never apart; a reused `event_id` breaks the
receipts' primary key and rolls the whole batch back.

On PostgreSQL a batch goes in by binary COPY (see `insert_events`); accounts
missing from the ledger's memory are read back with one query per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from eventsourcing.persistence import InterfaceError, Notification, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

RECEIPTS_TABLE = "o2c_receipts"
SETUP_LOCK = 0x6F32_636C  # "o2cl": the ledger's tables created by one process at a time


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


def _qualified(*names: str) -> str:
    # A quoted, qualified name, as PostgreSQL functions taking a table's name as text parse it.
    return ".".join('"' + name.replace('"', '""') + '"' for name in names)


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

    def select_histories(self, originator_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        histories: dict[str, list[StoredEvent]] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(originator_ids), 500):
                chunk = list(originator_ids[start : start + 500])
                c.execute(
                    f"SELECT originator_id, originator_version, topic, state FROM {self.events_table_name} "
                    f"WHERE originator_id IN ({','.join('?' * len(chunk))}) ORDER BY originator_id, originator_version",
                    chunk,
                )
                for row in c.fetchall():
                    histories.setdefault(row[0], []).append(StoredEvent(row[0], row[1], row[2], row[3]))
        return histories

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
        events = Identifier(self.datastore.schema, self.events_table_name)
        receipts = Identifier(self.datastore.schema, RECEIPTS_TABLE)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0} (event_id text PRIMARY KEY, "
                "account text NOT NULL, fingerprint text NOT NULL, position bigint NOT NULL)"
            ).format(receipts)
        )
        # Rows go in by binary COPY, with positions drawn from the log's own
        # sequence under the table lock. The library sends an array of composite
        # values, dumped as escaped text in Python: that cost more than the insert.
        self._next_positions = SQL(
            "SELECT nextval(log) FROM (SELECT pg_get_serial_sequence(%s, 'notification_id')::regclass AS log) AS s, "
            "generate_series(1, %s)"
        )
        self._copy_events = SQL(
            "COPY {0} (originator_id, originator_version, topic, state, notification_id) FROM STDIN (FORMAT BINARY)"
        ).format(events)
        self._copy_receipts = SQL(
            "COPY {0} (event_id, account, fingerprint, position) FROM STDIN (FORMAT BINARY)"
        ).format(receipts)
        self._events_table = _qualified(self.datastore.schema, self.events_table_name)
        # The batch's ids go as a binary array (%b): psycopg writes a text array
        # in Python, 1 µs an id, five times what the binary one takes.
        self._select_receipts = SQL(
            "SELECT event_id, account, fingerprint, position FROM {0} WHERE event_id = ANY(%b)"
        ).format(receipts)
        self._select_histories = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {0} "
            "WHERE originator_id = ANY(%b) ORDER BY originator_id, originator_version"
        ).format(events)
        self._select_positioned = SQL(
            "SELECT notification_id, originator_version, topic, state FROM {0} "
            "WHERE originator_id = %s AND originator_version > %s ORDER BY originator_version LIMIT %s"
        ).format(events)
        self._select_at = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {0} "
            "WHERE notification_id = ANY(%b) ORDER BY notification_id"
        ).format(events)

    def create_table(self) -> None:
        """As the library does, one process at a time: processes started together on a new
        database (the API, the publisher, projection workers) otherwise collide in PostgreSQL's
        catalog (`duplicate key … pg_type`, `tuple concurrently updated`). The lock is held on a
        connection of its own while the library creates on others, and ends with it."""
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", [SETUP_LOCK])
            try:
                super().create_table()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", [SETUP_LOCK])

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The events and their receipts in one transaction; returns the events' positions."""
        if not stored_events:
            return super().insert_events(stored_events, **kwargs)
        receipts: Sequence[Receipt] = kwargs.get("receipts") or ()
        assert not receipts or len(receipts) == len(stored_events), "every recorded event needs its receipt"
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            with conn.pipeline():
                # As the library does: the lock keeps positions in commit order,
                # NOTIFY wakes subscribers.
                self._lock_table(curs)
                self._notify_channel(curs)
                curs.execute(self._next_positions, [self._events_table, len(stored_events)])
            # Ascending in the batch's order, whatever order the server drew them in.
            positions = sorted(row[0] for row in curs.fetchall())
            with curs.copy(self._copy_events) as copy:
                copy.set_types([self.datastore.originator_id_type, "int8", "text", "bytea", "int8"])
                for event, position in zip(stored_events, positions, strict=True):
                    copy.write_row((event.originator_id, event.originator_version, event.topic, event.state, position))
            if receipts:
                with curs.copy(self._copy_receipts) as copy:
                    copy.set_types(["text", "text", "text", "int8"])
                    for receipt, position in zip(receipts, positions, strict=True):
                        copy.write_row((receipt.event_id, receipt.account, receipt.fingerprint, position))
        return positions

    def select_receipts(self, event_ids: Sequence[str]) -> dict[str, Receipt]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_receipts, [list(event_ids)])
            return {
                row["event_id"]: Receipt(row["event_id"], row["account"], row["fingerprint"], row["position"])
                for row in curs.fetchall()
            }

    def select_histories(self, originator_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        histories: dict[str, list[StoredEvent]] = {}
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_histories, [list(originator_ids)])
            for row in curs.fetchall():
                histories.setdefault(row["originator_id"], []).append(
                    StoredEvent(row["originator_id"], row["originator_version"], row["topic"], bytes(row["state"]))
                )
        return histories

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


    def select_notifications_at(self, positions: Sequence[int]) -> list[Notification]:
        """The log's notifications at these positions, in log order (a projection worker's
        partitions hold some of the log: the facts Kafka brought it, read as stored)."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_at, [list(positions)])
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]


class SQLiteLedgerFactory(SQLiteFactory):
    application_recorder_class = SQLiteLedgerRecorder


class PostgresLedgerFactory(PostgresFactory):
    application_recorder_class = PostgresLedgerRecorder
