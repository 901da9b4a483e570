"""Processes started together on a new PostgreSQL database (the API, the publisher, the
projection workers, as an orchestrator starts them) all set it up and start: the ledger's
tables and the read model's migrations are made by one at a time, the others find them
made (without it PostgreSQL refused some: `duplicate key … pg_type`, `tuple concurrently
updated`)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from o2c.config import eventstore_env
from o2c.ledger.application import Ledger


def test_ledgers_built_at_the_same_moment_on_a_new_database_all_start(postgres_url: str) -> None:
    errors: list[BaseException] = []
    together = threading.Barrier(6)

    def build() -> None:
        together.wait()
        try:
            Ledger(eventstore_env(postgres_url)).close()
        except BaseException as e:  # collected, asserted below
            errors.append(e)

    threads = [threading.Thread(target=build) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_migrations_run_at_the_same_moment_all_succeed(postgres_url: str) -> None:
    env = {**os.environ, "O2C_DATABASE_URL": postgres_url}
    started = [subprocess.Popen([sys.executable, "-m", "o2c.cli", "migrate"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT) for _ in range(4)]  # fmt: skip
    outputs = [process.communicate(timeout=120)[0].decode() for process in started]
    assert [process.returncode for process in started] == [0, 0, 0, 0], outputs
