"""What the tests that drive the read-model projection themselves share (no HTTP, no
projection thread): their hypothesis settings, a clock they move, a projector that
dies, and read models compared row for row (portfolio_strategies.tables)."""

from __future__ import annotations

from datetime import UTC, datetime
from pprint import pformat
from typing import Any

from hypothesis import HealthCheck, settings

from tests.integration.portfolio_strategies import Portfolio, Store, differences

PROPERTY = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
Model = dict[str, list[tuple[Any, ...]]]  # table -> rows, as portfolio_strategies.tables reads them


class Crash(BaseException):
    """The projector's process dies here: not an error it could park or retry."""


class Clock:
    """Now, as a test moves it (the projection's daily sweep reads it)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def assert_same(left: Model, right: Model) -> None:
    """Two read models are equal, row for row (else the rows that differ)."""
    diff = differences(left, right)
    assert not diff, pformat(diff, width=200)


def record_all(store: Store, portfolio: Portfolio) -> int:
    """Records the portfolio's batches; the position of the last fact."""
    return max(store.record(b) for b in portfolio.batches)
