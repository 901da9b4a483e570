"""When o2c knew a timed condition to hold (domain/alerts.py `alert_interval`): from the
later of the start of its business day and the recording of what it is about, on, until
it ended. An alert that starts at `now` itself holds (a projector raises an overdue alert
with the fact that recorded the invoice, when that fact ends its batch)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from o2c.domain.alerts import alert_interval

DAY = date(2026, 8, 6)
MIDNIGHT = datetime(2026, 8, 6, tzinfo=UTC)
RECORDED = datetime(2026, 12, 2, 16, 3, 35, 908155, tzinfo=UTC)


def test_it_holds_from_the_recording_when_that_is_later_than_its_day() -> None:
    assert alert_interval(DAY, RECORDED, None, RECORDED + timedelta(hours=1)) == (RECORDED, None)


def test_it_holds_from_the_start_of_its_day_when_that_is_later_than_the_recording() -> None:
    recorded = MIDNIGHT - timedelta(days=3)
    assert alert_interval(DAY, recorded, None, MIDNIGHT + timedelta(hours=1)) == (MIDNIGHT, None)


def test_it_holds_at_its_very_start_but_not_before() -> None:
    assert alert_interval(DAY, RECORDED, None, RECORDED) == (RECORDED, None)
    assert alert_interval(DAY, RECORDED, None, RECORDED - timedelta(microseconds=1)) is None
    assert alert_interval(DAY, MIDNIGHT - timedelta(days=1), None, MIDNIGHT) == (MIDNIGHT, None)


def test_an_end_decides_it_whatever_the_clock_says() -> None:
    ended = RECORDED + timedelta(milliseconds=2)
    assert alert_interval(DAY, RECORDED, ended, RECORDED - timedelta(hours=1)) == (RECORDED, ended)
    assert alert_interval(DAY, RECORDED, RECORDED, RECORDED + timedelta(hours=1)) is None  # ended as it began
