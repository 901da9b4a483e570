"""Bulk writes for the projection. On PostgreSQL a statement per row, even
pipelined, costs ~10x more than sending the rows at once: inserts go by COPY,
upserts as one `INSERT … SELECT FROM json_to_recordset(rows) ON CONFLICT …`.
On SQLite (in-process, cheap statements) both are an executemany."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, Row, Table, and_, insert, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    as_json = {name for name in columns if isinstance(table.c[name].type, JSON)}
    quote = conn.dialect.identifier_preparer.quote
    raw = conn.connection.driver_connection
    assert raw is not None
    copying = f"COPY {quote(table.name)} ({', '.join(map(quote, columns))}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(copying) as copy:
        for row in rows:
            copy.write_row([orjson.dumps(row[c]).decode() if c in as_json else row[c] for c in columns])
    keep_statistics(conn, table)


def select_by_keys(
    conn: Connection,
    table: Table,
    key_columns: Sequence[str],
    keys: Iterable[tuple[Any, ...]],
    columns: Sequence[str],
) -> list[Row[Any]]:
    """The rows of `table` whose `key_columns` equal one of `keys`, read through the
    index on those columns in one statement. On PostgreSQL the keys go as one array
    per column, unnested and joined: a row-value IN list of hundreds of keys costs
    ~150 ms to plan, and reading every row of the keys' accounts to filter them here
    ~100 ms per 1,000 events at 10,000 accounts (their overdue alerts pile up)."""
    keys = list(keys)
    if not keys:
        return []
    wanted_columns = [table.c[name] for name in key_columns]
    selected = [table.c[name] for name in columns]
    if conn.dialect.name != "postgresql":
        rows: list[Row[Any]] = []
        for start in range(0, len(keys), 500):  # under SQLite's parameter limit
            chunk = keys[start : start + 500]
            rows += conn.execute(select(*selected).where(tuple_(*wanted_columns).in_(chunk))).all()
        return rows
    quote = conn.dialect.identifier_preparer.quote
    arrays = ", ".join(
        f"CAST(:k{i} AS {column.type.compile(dialect=conn.dialect)}[])" for i, column in enumerate(wanted_columns)
    )
    names = ", ".join(quote(name) for name in key_columns)
    wanted = text(f"SELECT * FROM unnest({arrays}) AS k({names})").columns(*wanted_columns).subquery("wanted")
    on = and_(*(column == wanted.c[column.name] for column in wanted_columns))
    params = {f"k{i}": [key[i] for key in keys] for i in range(len(key_columns))}
    return conn.execute(select(*selected).join_from(table, wanted, on), params).all()


def upsert_rows(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    keys: list[str],
    set_: Callable[[Any], dict[str, Any]],
) -> None:
    """Insert, or update the row with the same key as `set_` says (given the excluded
    row). Rows have the same columns, and distinct keys (one statement cannot
    update a row twice on PostgreSQL)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _upsert_from_json(conn, table, rows, keys, set_)
        keep_statistics(conn, table)
        return
    stmt = sqlite.insert(table)
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=set_(stmt.excluded)), rows)


def _upsert_from_json(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    keys: list[str],
    set_: Callable[[Any], dict[str, Any]],
) -> None:
    # The rows go as one JSON document (orjson), typed back into rows by the server
    # (json_to_recordset): one statement and one parameter whatever the number of
    # rows. Column arrays would do too, but psycopg escapes the quotes of every JSON
    # value of a text array in Python, ~4x slower than an executemany on JSON rows.
    columns = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    typed = ", ".join(f"{quote(name)} {table.c[name].type.compile(dialect=conn.dialect)}" for name in columns)
    # A JSON null comes back as SQL NULL; None was always stored as JSON null.
    picked = ", ".join(
        f"coalesce(r.{quote(name)}, 'null'::json)" if isinstance(table.c[name].type, JSON) else f"r.{quote(name)}"
        for name in columns
    )
    source = text(f"SELECT {picked} FROM json_to_recordset(CAST(:rows AS JSON)) AS r({typed})").columns(
        *(table.c[name] for name in columns)
    )
    stmt = postgresql.insert(table).from_select(columns, source)
    upsert = stmt.on_conflict_do_update(index_elements=keys, set_=set_(stmt.excluded))
    conn.execute(upsert, {"rows": _json_rows(rows)})


def _json_rows(rows: list[dict[str, Any]]) -> str:
    # Non-str keys as json.dumps writes them (and str subclasses such as SQLAlchemy's quoted names).
    try:
        return orjson.dumps(rows, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        # orjson stops at 64-bit integers; a sum of amounts beyond them (a NUMERIC column)
        # goes as a JSON string, which json_to_recordset reads into the column's type.
        wide = [{k: str(v) if type(v) is int and not -(2**63) <= v < 2**63 else v for k, v in r.items()} for r in rows]
        return orjson.dumps(wide, option=orjson.OPT_NON_STR_KEYS).decode()


# Stale: changed by as many rows as it had at its last ANALYZE (autovacuum's rule, with
# a scale factor of 1 rather than 0.1: plans go wrong by orders of magnitude, and
# where autovacuum runs it keeps the finer upkeep).
_STALE = text(
    "SELECT s.n_mod_since_analyze > 50 + greatest(c.reltuples, 0) "
    "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relid = CAST(:table AS regclass)"
)
_STATISTICS_CHECKED: dict[tuple[int, str], float] = {}
STATISTICS_CHECK_S = 1.0


def keep_statistics(conn: Connection, table: Table) -> None:
    """ANALYZE a table the projection has doubled since its last ANALYZE (PostgreSQL;
    checked once a second per table). A catch-up fills the read model from empty
    faster than autovacuum's analyze follows (and some servers run without it):
    plans made for the empty tables stay, e.g. clearing an alert by scanning every
    open alert of its type, and the catch-up slows as alerts pile up (2,500 instead
    of 4,200 events/s over 200,000 events on a server without autovacuum)."""
    key = (id(conn.engine), table.name)
    now = time.monotonic()
    if now - _STATISTICS_CHECKED.get(key, -math.inf) < STATISTICS_CHECK_S:
        return
    _STATISTICS_CHECKED[key] = now
    if conn.execute(_STALE, {"table": table.name}).scalar():
        conn.execute(text(f"ANALYZE {conn.dialect.identifier_preparer.quote(table.name)}"))
