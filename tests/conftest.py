"""Shared fixtures: each integration test runs once per store (SQLite and
PostgreSQL). PostgreSQL tests get a database of their own, dropped after.
Without a PostgreSQL server they are skipped locally, but fail with CI=true."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

PG_ADMIN_URL = os.environ.get("O2C_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
_pg_state: dict[str, str | None] = {}


def _postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can (checked once)."""
    if "problem" not in _pg_state:
        try:
            with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
                _pg_state["problem"] = None
        except psycopg.Error as e:
            _pg_state["problem"] = f"no PostgreSQL at {PG_ADMIN_URL}: {e}"
    return _pg_state["problem"]


def require_postgres() -> None:
    problem = _postgres_problem()
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{problem} (CI=true: PostgreSQL tests must run, not skip)")
    pytest.skip(problem)


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    require_postgres()
    name = f"o2c_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/o2c.db"
    else:
        yield request.getfixturevalue("postgres_url")
