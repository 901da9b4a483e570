"""The `o2c` command."""

from __future__ import annotations

import argparse
import gc
import sys
from datetime import date
from typing import Any

from o2c.api.auth import Keyring
from o2c.config import Settings


def tune_garbage_collection() -> None:
    """For a long-running server, once started. Objects that live for a whole batch
    (or in the agenda's kept cases) get promoted and set off full collections over
    the heap (15-20% of ingestion's CPU; reading 10,000 collection cases took 0.7 s
    instead of 0.4): freeze what start-up made, collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from o2c.api.app import create_app

    settings = Settings.from_env()
    keyring = Keyring.parse(settings.api_keys)
    if not keyring:
        token = keyring.add_generated_admin()
        # Printed once; only its hash is kept, so a restart makes a new one.
        print(f"\n  o2c admin token (printed once, not stored): {token}\n", flush=True)
    app = create_app(settings, keyring, projection=args.projection)
    tune_garbage_collection()
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


def migrate(_: argparse.Namespace) -> None:
    from o2c.projections.database import migrate as upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url)
    print("read model migrated to the latest revision")


def _projection() -> Any:
    from o2c.config import eventstore_env
    from o2c.ledger.application import Ledger
    from o2c.projections.database import migrate as upgrade
    from o2c.projections.database import sync_engine
    from o2c.projections.projector import ReadModelProjection

    settings = Settings.from_env()
    upgrade(settings.database_url)
    ledger = Ledger(eventstore_env(settings.database_url))
    return ReadModelProjection(ledger, sync_engine(settings.database_url), ledger.clock, settings.risk_weights)


def _single_projector(command: str) -> None:
    if Settings.from_env().kafka_projection_topic is not None:
        sys.exit(f"o2c {command}: O2C_PROJECTION=kafka: the read model is built by `o2c kafka-project` workers")


def project(args: argparse.Namespace) -> None:
    """The projections alone, following the ledger (to run them apart from the API)."""
    import time

    from o2c.projections.runner import Following

    _single_projector("project")
    projection = _projection()
    tune_garbage_collection()  # a long-running projector, as `serve`'s
    print(f"projecting from position {projection.position()}", flush=True)
    following = Following(projection)  # as the in-process runner: parks, or waits and retries
    while True:
        processed, wait = following.step()
        if wait:
            time.sleep(wait)
        elif processed == 0 and not projection.review.pending:  # reviews left: go on
            if args.once:
                return
            time.sleep(args.poll)


def rebuild(_: argparse.Namespace) -> None:
    """Drops the read model and replays the whole log into it."""
    import time

    from o2c.projections.database import reset, tidy

    projection = _projection()
    if Settings.from_env().kafka_projection_topic is not None:
        reset(projection.engine)  # the partitions' offsets with it: the workers read the topic again
        print("read model emptied: restart the `o2c kafka-project` workers (stopped first) to replay the topic")
        return
    tune_garbage_collection()  # a whole log replayed: the heap would be swept over and over
    reset(projection.engine)
    started = time.perf_counter()
    count = projection.run_until_caught_up()
    elapsed = time.perf_counter() - started
    tidy(projection.engine)
    print(f"rebuilt the read model from {count} events in {elapsed:.1f}s ({count / max(elapsed, 1e-9):,.0f} events/s)")
    if parked := projection.parked:
        # Parked as the live projection would, not stopped: the rest of the portfolio is rebuilt.
        print(f"{len(parked)} account(s) parked: see `o2c parked list`, then `o2c parked retry`", file=sys.stderr)


def parked(args: argparse.Namespace) -> None:
    """Lists the parked accounts, or retries them (on the database, as `o2c project` works)."""
    import orjson

    from o2c.projections.parking import summary, summary_entry
    from o2c.projections.retry import retry_account, retry_all

    projection = _projection()
    if args.action == "list":
        with projection.engine.connect() as conn:
            entries = [summary_entry(row) for row in conn.execute(summary())]
        print(orjson.dumps({"accounts": entries}, option=orjson.OPT_INDENT_2).decode())
        return
    if not args.all and not args.account:
        sys.exit("o2c parked retry: name an ACCOUNT, or --all")
    make = _projection_on(projection)
    results = retry_all(make) if args.all else [r for r in [retry_account(make, args.account)] if r]
    if not args.all and not results:
        sys.exit(f"account {args.account} is not parked")
    print(orjson.dumps({"retried": [r.as_dict() for r in results]}, option=orjson.OPT_INDENT_2).decode())
    if any(r.still_parked for r in results):
        sys.exit(3)


def _projection_on(projection: Any) -> Any:
    """A fresh projection (empty caches) on the same ledger and database, per retry."""
    from o2c.projections.projector import ReadModelProjection

    weights = projection.review.weights
    return lambda: ReadModelProjection(projection.ledger, projection.engine, projection.clock, weights)


def demo(args: argparse.Namespace) -> None:
    """Seeds the sample portfolio (DEMO-0001 …) and readies the read model for `o2c serve`."""
    import time

    from o2c.config import eventstore_env
    from o2c.demo import DemoRejected, seed
    from o2c.ledger.application import Ledger
    from o2c.projections.database import migrate as upgrade

    settings = Settings.from_env()
    ledger = Ledger(eventstore_env(settings.database_url))
    try:
        last = ledger.recorder.max_notification_id() or 0
        if args.if_empty and last:
            print(f"the ledger already holds events (up to position {last}): demo not seeded")
        else:
            started = time.perf_counter()
            try:
                seeded = seed(ledger)
            except DemoRejected as e:
                sys.exit(f"the ledger refused a demo fact: {e}")
            print(
                f"demo portfolio: {seeded.accounts} accounts, {seeded.recorded} events recorded"
                f" ({seeded.duplicates} already there), dated up to {seeded.today}"
                f" in {time.perf_counter() - started:.1f}s; {seeded.rate_days} months of euro exchange rates recorded"
            )
    finally:
        ledger.close()
    # The tables exist before `o2c serve` starts, which then projects the log from where it stands.
    upgrade(settings.database_url)


def replay(args: argparse.Namespace) -> None:
    """Prints an account's history and its state rebuilt from it, as JSON."""
    import orjson

    from o2c.api.routes.audit import account_state, history_entry, parse_known_at
    from o2c.config import eventstore_env
    from o2c.ledger.application import Ledger

    settings = Settings.from_env()
    ledger = Ledger(eventstore_env(settings.database_url))
    known_at = parse_known_at(args.known_at)
    account = ledger.stored_account(args.account, known_at)
    if account is None:
        sys.exit(f"no account {args.account}")
    as_of = date.fromisoformat(args.as_of) if args.as_of else None
    print(orjson.dumps({
        "history": [history_entry(p, e) for p, e in ledger.history(args.account)],
        "state": account_state(account, as_of, ledger.clock().date()),
    }, option=orjson.OPT_INDENT_2).decode())


def kafka_ingest(_: argparse.Namespace) -> None:
    """ERP facts from a Kafka topic into the ledger (see adapters/kafka/ingest.py)."""
    import logging

    from o2c.adapters.kafka import ingest
    from o2c.adapters.kafka.settings import client_settings
    from o2c.config import eventstore_env
    from o2c.ledger.application import Ledger

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:  # a bad setting fails here, before any connection
        settings, connection = ingest.IngestSettings.from_env(), client_settings()
    except ValueError as e:
        sys.exit(f"o2c kafka-ingest: {e}")
    ledger = Ledger(eventstore_env(Settings.from_env().database_url))
    tune_garbage_collection()
    try:
        ingest.main(ledger, settings, connection)
    finally:
        ledger.close()


def kafka_publish(args: argparse.Namespace) -> None:
    """Every recorded fact and alert change out to Kafka, until SIGTERM or SIGINT."""
    import signal
    import threading

    from o2c.adapters.kafka.publish import Publisher, make_producer
    from o2c.adapters.kafka.publish_metrics import PublishMetrics, serve_metrics
    from o2c.adapters.kafka.settings import client_settings

    metrics = PublishMetrics()
    try:
        kafka = client_settings()
        port = serve_metrics(metrics, args.metrics_port)
    except ValueError as e:
        sys.exit(f"o2c kafka-publish: {e}")
    projection = _projection()  # migrates: the log of alert changes and the published positions exist
    producer = make_producer(kafka)
    publisher = Publisher(projection.ledger, projection.engine, producer, args.facts_topic, args.alerts_topic,
                          metrics.published)  # fmt: skip
    metrics.follow(publisher)  # the lag, read at each scrape
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())  # the batch in flight is finished and stored
    print(f"publishing to {args.facts_topic} and {args.alerts_topic}; lag {publisher.lag()}"
          + (f"; metrics on :{port}" if port else ""), flush=True)  # fmt: skip
    try:
        publisher.run(stop, args.poll, args.once, args.batch)
    finally:
        producer.close()


def kafka_project(_: argparse.Namespace) -> None:
    """One of the workers that build the read model from the ledger topic (adapters/kafka/project.py)."""
    import logging

    from o2c.adapters.kafka import project
    from o2c.adapters.kafka.settings import client_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings, worker, connection = Settings.from_env(), project.ProjectSettings.from_env(), client_settings()
    except ValueError as e:
        sys.exit(f"o2c kafka-project: {e}")
    if not settings.is_postgres:
        sys.exit("o2c kafka-project: workers share a PostgreSQL read model (O2C_DATABASE_URL); SQLite has one writer")
    tune_garbage_collection()
    project.run(settings, worker, connection)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="o2c", description="Order-to-cash ledger and credit views")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the API (with the projections in-process)")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8000)
    serve_cmd.add_argument(
        "--projection",
        choices=("process", "thread", "none"),
        default="process",
        help="run the projections in a child process (default), a thread, or not at all (o2c project elsewhere)",
    )
    serve_cmd.set_defaults(run=serve)
    commands.add_parser("migrate", help="create or upgrade the read model's tables").set_defaults(run=migrate)
    project_cmd = commands.add_parser("project", help="run the projections alone")
    project_cmd.add_argument("--once", action="store_true", help="stop when caught up")
    project_cmd.add_argument("--poll", type=float, default=0.2, help="seconds between looks at the log when idle")
    project_cmd.set_defaults(run=project)
    commands.add_parser("rebuild", help="drop the read model and replay the log").set_defaults(run=rebuild)
    parked_cmd = commands.add_parser("parked", help="accounts whose facts the projection could not apply")
    parked_cmd.add_argument("action", choices=("list", "retry"))
    parked_cmd.add_argument("account", nargs="?", help="the account to retry")
    parked_cmd.add_argument("--all", action="store_true", help="retry every parked account")
    parked_cmd.set_defaults(run=parked)
    demo_cmd = commands.add_parser("demo", help="seed a realistic sample portfolio (DEMO-0001 …)")
    demo_cmd.add_argument("--if-empty", action="store_true", help="only when the ledger holds no event yet")
    demo_cmd.set_defaults(run=demo)
    replay_cmd = commands.add_parser("replay", help="an account's history and rebuilt state")
    replay_cmd.add_argument("account")
    replay_cmd.add_argument("--known-at", default=None)
    replay_cmd.add_argument("--as-of", default=None)
    replay_cmd.set_defaults(run=replay)
    publish_cmd = commands.add_parser("kafka-publish", help="publish every recorded fact and alert change to Kafka")
    publish_cmd.add_argument("--facts-topic", default="o2c.ledger", help="every fact, keyed by account")
    publish_cmd.add_argument("--alerts-topic", default="o2c.alerts", help="every alert raised or cleared")
    publish_cmd.add_argument("--poll", type=float, default=0.2, help="seconds between looks at the log when idle")
    publish_cmd.add_argument("--once", action="store_true", help="stop when caught up")
    publish_cmd.add_argument("--batch", type=int, default=1000, help="messages per acknowledged batch")
    publish_cmd.add_argument("--metrics-port", type=int, help="else O2C_KAFKA_METRICS_PORT, or 9181; 0: none")
    publish_cmd.set_defaults(run=kafka_publish)
    commands.add_parser(
        "kafka-ingest", help="record ERP facts from a Kafka topic (O2C_KAFKA_* settings)"
    ).set_defaults(run=kafka_ingest)
    commands.add_parser(
        "kafka-project", help="one of N workers building the read model from the ledger topic (O2C_PROJECTION=kafka)"
    ).set_defaults(run=kafka_project)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    sys.exit(main())
