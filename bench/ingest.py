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
Prints each figure beside its target (issue 11: >= 7,500 events/s served with
the projection running, >= 0.25 of the floor, <= 60 µs of server CPU an
event, the projection's lag p99 < 1 s while posting); exits non-zero if one
is missed.

The projection's lag is sampled every 50 ms while posting (which starts once
the projector process says it follows the ledger: its start-up is not
measured), from a thread of the bench on its own connection, by one statement
(one snapshot) on the database both share. Lag in seconds, for a sample at time
t: t minus the recording time of the oldest fact recorded but not yet projected
— the first row of the ledger's log above the read model's tracking position
(`rm_tracking`, view `read_model`) — and 0 when caught up; lag in events: the
log's last position minus the tracking position. The recording time is the
event's own `timestamp` (in its stored state), stamped by the ledger as it
applies the fact, before the batch's transaction commits: exact to within the
batch's own time in the server (at most its round trip), and on the side of
more lag, never less. A client-side map from the positions a POST answers to
the time of the answer would miss the batch in flight (committed, not yet
answered) and add the HTTP answer's time. Each sample costs an index lookup at
each end of the log and one row's JSON; `/metrics` has no lag in seconds to
read instead (only `o2c_projection_lag_events`).
"""

from __future__ import annotations

import argparse
import re
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field

import httpx
import orjson
import psycopg
from psycopg.sql import SQL, Identifier

from bench._support import AUTH, Result, conclude, cpu_seconds, percentile, served, share_figure, throwaway_database
from bench.generate import Shape, batches, portfolio
from o2c.ledger.application import Ledger
from o2c.projections import schema, tracking

BATCH = 500
# Served with the projection running, on the project's 2-core machine (issue 11 §1).
TARGET_RATE = 7_500  # events/s
TARGET_RATIO = 0.25  # of the raw insert rate
TARGET_CPU_US = 60.0  # the server process's CPU (every thread) per event
TARGET_LAG_S = 1.0  # p99 of the projection's lag while posting
LAG_EVERY_S = 0.05
_CATCH_UP_S = 60
EVENTS_TABLE = f"{Ledger.name.lower()}_events"  # the name the eventsourcing library gives it
# The read model's position, the log's last one, and the age of the first fact
# above the position (NULL when caught up): see the module's docstring.
_LAG = SQL(
    "SELECT t.position, h.head, extract(epoch FROM clock_timestamp() - "
    "(convert_from(e.state, 'UTF8')::json -> 'timestamp' ->> '_data_')::timestamptz) "
    "FROM (SELECT coalesce((SELECT position FROM {tracking} WHERE view = %s), 0) AS position) AS t "
    "CROSS JOIN (SELECT coalesce(max(notification_id), 0) AS head FROM {events}) AS h "
    "LEFT JOIN LATERAL (SELECT state FROM {events} WHERE notification_id > t.position "
    "ORDER BY notification_id LIMIT 1) AS e ON true"
).format(tracking=Identifier(schema.tracking.name), events=Identifier(EVENTS_TABLE))


@dataclass
class Ingestion:
    events: int
    seconds: float
    batch_ms: list[float]
    server_cpu_s: float  # the server process's CPU time while posting (every thread)
    lag_at_end: int = 0
    catch_up_s: float = 0.0
    lag_left: int = 0  # still behind when the bench stopped waiting
    lag_s: list[float] = field(default_factory=list)  # sampled while posting
    lag_events: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def cpu_us(self) -> float:
        return self.server_cpu_s / self.events * 1e6

    @property
    def batches(self) -> str:
        return f"p50 {percentile(self.batch_ms, 50):.0f} ms  p99 {percentile(self.batch_ms, 99):.0f} ms"


@contextmanager
def sampling_lag(database_url: str) -> Iterator[tuple[list[float], list[int]]]:
    """The projection's lag (seconds, events), sampled every LAG_EVERY_S from a
    thread on its own connection until the block ends; a failed sample fails the block."""
    seconds: list[float] = []
    events: list[int] = []
    stop, failed = threading.Event(), list[Exception]()

    def sample() -> None:
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                while not stop.wait(LAG_EVERY_S):
                    position, head, age = conn.execute(_LAG, [tracking.VIEW]).fetchone() or (0, 0, None)
                    seconds.append(float(age or 0))
                    events.append(head - position)
        except Exception as e:  # raised in the block's thread below
            failed.append(e)

    sampler = threading.Thread(target=sample, name="lag sampler", daemon=True)
    sampler.start()
    try:
        yield seconds, events
    finally:
        stop.set()
        sampler.join()
    if failed:
        raise RuntimeError("sampling the projection's lag failed") from failed[0]


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
        sampling: AbstractContextManager[tuple[list[float], list[int]]] = (
            sampling_lag(database_url) if project_in_process else nullcontext(([], []))
        )
        with sampling as (lag_s, lag_events):
            cpu_before, started = cpu_seconds(server.pid), time.perf_counter()
            for number, body in enumerate(bodies):
                sent = time.perf_counter()
                response = client.post("/v1/events", content=body)
                batch_ms.append((time.perf_counter() - sent) * 1000)
                if response.status_code != 201:
                    raise SystemExit(f"batch {number}: {response.status_code} {response.text[:500]}")
            seconds, cpu = time.perf_counter() - started, cpu_seconds(server.pid) - cpu_before
        result = Ingestion(events, seconds, batch_ms, cpu, lag_s=lag_s, lag_events=lag_events)
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


def lag_result(lag_s: list[float]) -> Result:
    name, target = "  projection lag while posting", f"p99 < {TARGET_LAG_S:g} s"
    if not lag_s:
        return Result(name, "skipped: posting ended before a sample", target, None, skipped=True)
    p99 = percentile(lag_s, 99)
    figure = f"p50 {percentile(lag_s, 50):.2f} s  p99 {p99:.2f} s  max {max(lag_s):.2f} s  (n={len(lag_s)})"
    return Result(name, figure, target, p99 < TARGET_LAG_S)


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
    share_figure("served_events_per_s", live.rate)  # the catch-up's target in bench.portfolio (issue 11)
    caught_up = f"still {live.lag_left:,} behind" if live.lag_left else "caught up"
    conclude([
        Result("floor: psycopg executemany, plain table", f"{raw:,.0f} rows/s ({state_bytes} B state a row)", "", None),
        Result("served, projection in-process", f"{live.rate:,.0f} events/s", f">= {TARGET_RATE:,} events/s",
               live.rate >= TARGET_RATE),
        Result("  of the floor", f"{ratio:.2f}", f">= {TARGET_RATIO}", ratio >= TARGET_RATIO),
        Result("  server CPU per event", f"{live.cpu_us:.0f} µs", f"<= {TARGET_CPU_US:g} µs",
               live.cpu_us <= TARGET_CPU_US),
        Result("  batch of 500, round trip", live.batches, "", None),
        Result("  projection lag at the last answer", f"{live.lag_at_end:,} events, {caught_up} "
               f"{live.catch_up_s:.1f} s later", "", None),
        lag_result(live.lag_s),
        Result("    in events", f"p99 {percentile(live.lag_events, 99):,.0f}  max {max(live.lag_events, default=0):,}  "
               f"(projected {(live.events - live.lag_at_end) / live.seconds:,.0f}/s while posting)", "", None),
        Result("served, no projection", f"{alone.rate:,.0f} events/s, {alone.rate / raw:.2f} of the floor, "
               f"{alone.cpu_us:.0f} µs CPU/event", "", None),
    ])  # fmt: skip


if __name__ == "__main__":
    main()
