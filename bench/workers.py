"""Projection workers (issue 11 §3), on PostgreSQL and tansu (or O2C_KAFKA_BOOTSTRAP's
cluster): a generated portfolio recorded on a throw-away database and published to a fresh
topic of P partitions (timed), then the read model's catch-up from zero, in the same run, by
- the single projector, as `o2c rebuild` runs it (a child process; its own rate): the baseline
  (under `make bench`, bench.portfolio's catch-up of the same facts in the same run);
- 1, then 2 `o2c kafka-project` workers (child processes, a fresh group each): from their
  start to the reached position (projections/partitions.py) at the ledger's head, the
  group's join included (tansu holds a join ~5 s); from when all had their partitions
  too (the join left out), and each worker's CPU per fact from its assignment on.
Fails if the workers' read model is not complete within a timeout or its portfolio figures
differ from the single projector's (open alerts only shown: timed ones depend on batch
boundaries). The ratios are for information: the issue sets no target.

    python -m bench.workers [--events N (O2C_BENCH_EVENTS, else 100000)] [--partitions 4] [--database URL]

`make bench` runs it last on the portfolio's database (bench/__main__.py): the same
1,000,000 facts as bench.portfolio, not recorded again.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, nullcontext
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from sqlalchemy import Engine, text

from bench._support import Result, conclude, cpu_seconds, shared_figure, throwaway_database
from bench.generate import Shape
from bench.kafka_io import broker
from bench.portfolio import analyze, ingest
from o2c.adapters.kafka.publish import Publisher, make_producer
from o2c.config import eventstore_env
from o2c.ledger.application import Ledger
from o2c.projections.database import migrate, reset, sync_engine
from o2c.projections.partitions import reached_position

_TIMEOUT_S = 900
FIGURES = {  # cheap, and every fact of every account goes into them
    "receivables": "SELECT currency, sum(amount) FROM rm_portfolio_receivables GROUP BY currency ORDER BY currency",
    "accounts": "SELECT count(*), sum(outstanding) FROM rm_accounts",
}
OPEN_ALERTS = "SELECT count(*) FROM rm_alerts WHERE cleared_at IS NULL"


def figures(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {name: conn.execute(text(sql)).all() for name, sql in {**FIGURES, "open alerts": OPEN_ALERTS}.items()}


def publish(ledger: Ledger, engine: Engine, bootstrap: str, topic: str, partitions: int) -> float:
    """Every recorded fact to a fresh topic of `partitions`, acknowledged per batch: facts/s."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    admin.close()
    producer = make_producer({"bootstrap_servers": bootstrap})
    publisher, sent, started = Publisher(ledger, engine, producer, topic, f"{topic}.alerts"), 0, time.perf_counter()
    while batch := publisher.publish_facts():
        sent += batch
    producer.close()
    return sent / (time.perf_counter() - started)


def single(url: str) -> float:
    """`o2c rebuild` in a child process, as an operator runs it: the rate it prints."""
    env = {**os.environ, "O2C_DATABASE_URL": url}
    env.pop("O2C_PROJECTION", None)  # under kafka, rebuild only empties the read model
    out = subprocess.run([sys.executable, "-m", "o2c.cli", "rebuild"], env=env, capture_output=True, text=True)
    if out.returncode or not (rate := re.search(r"\(([\d,]+) events/s\)", out.stdout)):
        raise SystemExit(f"o2c rebuild failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    return float(rate.group(1).replace(",", ""))


def said(worker: subprocess.Popen[bytes], log: Path) -> str:
    """What a worker has logged; one that stopped before it was told to stops the bench."""
    if worker.poll() is not None:
        raise SystemExit(f"a worker stopped: {log.read_text()[-2000:]}")
    return log.read_text()


def workers(url: str, engine: Engine, bootstrap: str, topic: str, head: int, count: int) -> dict[str, Any]:
    """`count` workers from an empty read model until the head is reached (or the timeout)."""
    reset(engine)
    env = {**os.environ, "O2C_DATABASE_URL": url, "O2C_PROJECTION": "kafka", "O2C_KAFKA_BOOTSTRAP": bootstrap,
           "O2C_KAFKA_LEDGER_TOPIC": topic, "O2C_KAFKA_PROJECTION_GROUP": f"{topic}-{count}"}  # fmt: skip

    def reached() -> tuple[int, int]:  # the position reached, messages projected
        with engine.connect() as conn:
            offsets = conn.execute(text('SELECT coalesce(sum("offset"), 0) FROM rm_partition_offsets')).scalar_one()
            return int(conn.execute(reached_position(topic)).scalar_one()), int(offsets)

    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        logs = [Path(folder, f"worker-{i}.log") for i in range(count)]  # not pipes: a full one would stall a worker
        started, running = time.perf_counter(), list[subprocess.Popen[bytes]]()
        deadline, joined = time.monotonic() + _TIMEOUT_S, (0.0, 0)  # when all had partitions, messages done then
        assigned: dict[int, float] = {}  # a worker's CPU when it was given partitions: its start left out
        try:
            for log in logs:  # together, as an orchestrator starts them
                running.append(subprocess.Popen([sys.executable, "-m", "o2c.cli", "kafka-project"], env=env,
                               stdout=subprocess.DEVNULL, stderr=stack.enter_context(log.open("ab"))))  # fmt: skip
            while (now := reached())[0] < head and time.monotonic() < deadline:
                for i, (worker, log) in enumerate(zip(running, logs, strict=True)):
                    if "o2c.kafka.project: assigned" in said(worker, log) and i not in assigned:
                        assigned[i] = cpu_seconds(worker.pid)
                        joined = (time.perf_counter(), now[1]) if len(assigned) == count else joined
                time.sleep(0.05)
            ended = time.perf_counter()
            cpu = [cpu_seconds(w.pid) - assigned.get(i, 0.0) for i, w in enumerate(running)]  # before the stop
        finally:
            for worker in running:
                worker.send_signal(signal.SIGTERM)
            for worker in running:
                try:
                    worker.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    worker.kill()
        stops = [re.search(r"stopped; (\d+) facts projected", log.read_text()) for log in logs]
    per_fact = [c / max(int(m.group(1)) if m else 0, 1) * 1e6 for c, m in zip(cpu, stops, strict=True)]
    return {"reached": now[0], "rate": now[0] / (ended - started), "join": (joined[0] or ended) - started,
            "assigned": (now[1] - joined[1]) / (ended - (joined[0] or started)), "figures": figures(engine),
            "cpu µs/fact": ", ".join(f"{us:,.0f}" for us in per_fact)}  # fmt: skip


def run(shape: Shape, partitions: int, database: str | None = None) -> list[Result]:
    with nullcontext(database) if database else throwaway_database() as url, broker() as bootstrap:
        migrate(url)
        ledger, engine = Ledger(eventstore_env(url)), sync_engine(url)
        try:
            head = ledger.recorder.max_notification_id() or 0  # a kept database's facts
            if not head:
                head = ingest(ledger, shape)[0]
                analyze(url)
            topic = f"bench-ledger-{uuid.uuid4().hex[:8]}"
            published = publish(ledger, engine, bootstrap, topic, partitions)
            print(f"{head:,} facts, published ({published:,.0f}/s)", flush=True)
            # make bench: bench.portfolio caught these facts up from zero in this run; alone: `o2c rebuild`.
            shared = shared_figure("catch_up_events_per_s") if database else None
            baseline = shared if shared is not None else single(url)
            expected = figures(engine)
            rounds = {count: workers(url, engine, bootstrap, topic, head, count) for count in (1, 2)}
        finally:
            ledger.close()
            engine.dispose()
    results = [Result(f"publish to {partitions} partitions", f"{published:,.0f} facts/s", "", None),
               Result(f"catch-up, single projector ({'bench.portfolio' if shared else 'o2c rebuild'})",
                      f"{baseline:,.0f} events/s", "", None)]  # fmt: skip
    for count, r in rounds.items():
        got, equal = r["figures"], all(r["figures"][name] == expected[name] for name in FIGURES)
        if not equal:
            print(f"{count} worker(s): figures {got} != the single projector's {expected}")
        results += [
            Result(f"catch-up, {count} worker(s), from their start",
                   f"{r['rate']:,.0f} events/s ({r['assigned']:,.0f} all assigned, {r['join']:.1f}s in)", "", None),
            Result("  CPU µs/fact of each worker, once assigned", r["cpu µs/fact"], "", None),
            Result(f"  {count} worker(s): read model complete, = single's", f"reached {r['reached']:,} of {head:,}; "
                   f"open alerts {got['open alerts'][0][0]:,} (single: {expected['open alerts'][0][0]:,})",
                   "complete and equal", r["reached"] >= head and equal),
        ]  # fmt: skip
    for name, a, b in (
        ("scaling: 2 workers / 1 worker", rounds[2], rounds[1]),
        ("1 worker / single projector", rounds[1], {"rate": baseline, "assigned": baseline}),
    ):
        results.append(Result(name, f"{ratio(a, b, 'rate')} ({ratio(a, b, 'assigned')} all assigned)", "", None))
    return results


def ratio(a: dict[str, Any], b: dict[str, Any], key: str) -> str:
    return f"x{a[key] / b[key]:.2f}" if b[key] else "n/a"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=int(os.environ.get("O2C_BENCH_EVENTS") or 100_000))
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--database", help="a database holding facts (make bench: the portfolio's; its read "
                        "model is rebuilt) or an empty one to fill")  # fmt: skip
    args = parser.parse_args(argv)
    started = time.perf_counter()
    shape = Shape(accounts=max(args.events // 100, 10), events=args.events)
    conclude(run(shape, args.partitions, args.database), started)


if __name__ == "__main__":
    main()
