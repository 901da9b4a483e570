"""Ingestion benchmark (issue 2): events per second through `POST /v1/events`
in batches of 500 on PostgreSQL, beside the floor: the same rows inserted into
a plain table by the same driver (psycopg 3), in the same batch size, in the
same run.

    python -m bench.ingest [--events 60000] [--accounts N]

The facts are `bench.generate`'s portfolio (a realistic mix: accounts opened,
orders, invoices, payments with allocations, credit notes, disputes…). The app
is the one `o2c serve` runs, served by uvicorn in a child process and
posted to over HTTP by one client (one ERP stream: a batch may settle an
invoice of an earlier batch, so batches go one after another). It is measured
with the in-process projection on (as served) and, for information, off.
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass

import httpx
import orjson
import psycopg
from psycopg.sql import SQL, Identifier

from bench._support import AUTH, cpu_seconds, percentile, served, throwaway_database
from bench.generate import Shape, batches, portfolio
from o2c.ledger.application import Ledger

BATCH = 500
TARGET_RATE = 5_000  # events/s
TARGET_RATIO = 0.25  # of the raw insert rate
_CATCH_UP_S = 60
EVENTS_TABLE = f"{Ledger.name.lower()}_events"  # the name the eventsourcing library gives it


@dataclass
class Ingestion:
    events: int
    seconds: float
    batch_ms: list[float]
    server_cpu_s: float  # the server process's CPU time while posting (every thread)
    lag_at_end: int = 0
    catch_up_s: float = 0.0
    lag_left: int = 0  # still behind when the bench stopped waiting

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def line(self, raw: float) -> str:
        return (f"{self.rate:7,.0f} events/s  ratio {self.rate / raw:.2f}  batch p50 "
                f"{percentile(self.batch_ms, 50):.0f} ms p99 {percentile(self.batch_ms, 99):.0f} ms  "
                f"server {self.server_cpu_s / self.events * 1e6:.0f} us CPU/event")  # fmt: skip


def _lag(client: httpx.Client) -> int:
    text = client.get("/metrics").text
    found = re.search(r"^o2c_projection_lag_events (\S+)$", text, re.MULTILINE)
    return int(float(found.group(1))) if found else 0


def ingest(database_url: str, bodies: list[bytes], events: int, *, project_in_process: bool) -> Ingestion:
    """Posts every batch to a freshly served app; the clock runs from the first post to the last answer."""
    with (
        served(database_url, project_in_process=project_in_process) as (base, server),
        httpx.Client(base_url=base, headers={**AUTH, "Content-Type": "application/json"}, timeout=120) as client,
    ):
        batch_ms = []
        cpu_before, started = cpu_seconds(server.pid), time.perf_counter()
        for number, body in enumerate(bodies):
            sent = time.perf_counter()
            response = client.post("/v1/events", content=body)
            batch_ms.append((time.perf_counter() - sent) * 1000)
            if response.status_code != 201:
                raise SystemExit(f"batch {number}: {response.status_code} {response.text[:500]}")
        result = Ingestion(events, time.perf_counter() - started, batch_ms, cpu_seconds(server.pid) - cpu_before)
        if project_in_process:
            # For information: how far the read model was behind, and how long it took to catch up.
            result.lag_at_end = _lag(client)
            waited = time.perf_counter()
            while (left := _lag(client)) > 0 and time.perf_counter() - waited < _CATCH_UP_S:
                time.sleep(0.1)
            result.catch_up_s, result.lag_left = time.perf_counter() - waited, left
    return result


def raw_insert_rate(database_url: str) -> tuple[float, int]:
    """The floor: the event store's own rows (same count, same bytes) inserted by
    psycopg 3 into a plain table of the same shape — the same columns, primary key
    and global position — with `executemany`, 500 rows per transaction; no lock,
    no NOTIFY, no receipts. Returns rows/s and the mean stored state size."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            SQL("SELECT originator_id, originator_version, topic, state FROM {} ORDER BY notification_id").format(
                Identifier(EVENTS_TABLE)
            )
        ).fetchall()
        conn.execute(
            "CREATE TABLE raw_events (originator_id text NOT NULL, originator_version bigint NOT NULL, "
            "topic text, state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
        )
        conn.execute("CREATE UNIQUE INDEX ON raw_events (notification_id)")
        conn.commit()
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            with conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO raw_events (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)",
                    rows[start : start + BATCH],
                )
        seconds = time.perf_counter() - started
    return len(rows) / seconds, sum(len(r[3]) for r in rows) // max(len(rows), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--accounts", type=int, default=0, help="default: one per hundred facts")
    args = parser.parse_args()

    shape = Shape(accounts=args.accounts or max(args.events // 100, 1), events=args.events)
    posted = list(batches(portfolio(shape), BATCH))
    bodies = [orjson.dumps({"events": batch}) for batch in posted]
    facts = sum(map(len, posted))
    print(f"ingest: {facts:,} facts on {shape.accounts:,} accounts, {len(bodies)} batches of {BATCH} "
          f"({sum(map(len, bodies)) // facts} B/fact posted), PostgreSQL, one HTTP client")  # fmt: skip

    # Each run on a fresh database; the floor is measured after each, and the
    # better of the two kept (the machine may be busy with something else).
    with throwaway_database() as url:
        live = ingest(url, bodies, facts, project_in_process=True)
        raw, state_bytes = raw_insert_rate(url)
    with throwaway_database() as url:
        alone = ingest(url, bodies, facts, project_in_process=False)
        raw = max(raw, raw_insert_rate(url)[0])

    ratio = live.rate / raw
    passed = live.rate >= TARGET_RATE and ratio >= TARGET_RATIO
    print(f"  floor  psycopg executemany, same rows ({state_bytes} B state), plain table: {raw:,.0f} rows/s")
    print(f"  served POST /v1/events, projection in-process: {live.line(raw)}")
    caught_up = f"still {live.lag_left:,} behind" if live.lag_left else "caught up"
    print(f"         the projection was {live.lag_at_end:,} events behind at the last answer, "
          f"{caught_up} {live.catch_up_s:.1f} s later")  # fmt: skip
    print(f"  info   POST /v1/events, no projection:         {alone.line(raw)}")
    print(f"  {'PASS' if passed else 'FAIL'}: as served, target >= {TARGET_RATE:,} events/s and >= {TARGET_RATIO} "
          f"of the floor; measured {live.rate:,.0f} events/s, {ratio:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
