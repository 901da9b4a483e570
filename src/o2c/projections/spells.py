"""Alerts that follow a rule of business days: an invoice a plan names is overdue
on the days it has something past due by the plans' schedule (not while a plan
holds, again from the day it breaks); a promise or plan is broken from the day
after its unpaid date. What o2c knows of such a rule changes with facts (a plan
agreed, cash recorded late that keeps a plan after all), so each alert is a
spell: from when o2c knew the condition to hold (a fact, or the start of a
business day) until it knew it no longer did.

A rule is kept with the moment it became known (`since`): the projection closes
the spells of the rule a fact replaces up to that fact, in order, and opens
those of the new one; the rest of a rule's spells come with time (the daily
sweep, from `next_change`). Spells are matched to alert rows by when they were
raised, so working them out again (another batching, a sweep) writes nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from o2c.domain.schedules import Days
from o2c.projections.alerting import TimedCondition, raised_row

Key = tuple[str, str, str]  # account, alert type, subject
Row = tuple[datetime, datetime | None]  # an alert's raised_at and cleared_at


@dataclass(frozen=True)
class Rule:
    """A condition as known since `since`: the business days it holds on."""

    days: Days
    since: datetime
    details: dict[str, Any]

    def started(self, day: date) -> date | None:
        """The first day of the run of days holding `day`; None if it does not hold then."""
        return next((start for start, until in self.days if start <= day and (until is None or day < until)), None)

    def as_row(self, key: Key, next_change: datetime | None) -> dict[str, Any]:
        days = [[start.isoformat(), None if until is None else until.isoformat()] for start, until in self.days]
        return {"account": key[0], "type": key[1], "subject": key[2], "days": days, "since": self.since,
                "details": self.details, "next_change": next_change}  # fmt: skip


def rule_of(row: Any) -> Rule:
    days = tuple((date.fromisoformat(s), None if u is None else date.fromisoformat(u)) for s, u in row.days)
    return Rule(days, utc(row.since), row.details)


def reconcile(
    key: Key, rules: list[Rule], rows: list[Row], horizon: datetime
) -> tuple[list[tuple[str, dict[str, Any]]], datetime | None]:
    """The raises and clears that bring the alert rows of `key` in line with the
    spells of `rules` (each in force from its `since` to the next one's) up to
    `horizon`; and the next moment the condition changes after it."""
    start = rules[0].since
    raised = dict(rows)
    # The alert open just before the first rule took effect, if any: its spell goes on.
    current = max((r for r in rows if r[0] < start and (r[1] is None or r[1] >= start)), default=None,
                  key=lambda r: r[0])  # fmt: skip
    changes: list[tuple[str, dict[str, Any]]] = []
    for moment, rule in _moments(rules):
        began = rule.started(moment.astimezone(UTC).date())
        if (began is not None) == (current is not None):
            continue
        if moment > horizon:
            return changes, moment
        if began is not None:
            if moment not in raised:
                condition = TimedCondition(account=key[0], type=key[1], subject=key[2], holds_from=began,
                                           recorded_at=moment, ended_at=None, details=rule.details)  # fmt: skip
                changes.append(("raise", raised_row(condition, moment, None)))
            current = (moment, raised.get(moment))
        else:
            assert current is not None
            if current[1] is None:
                changes.append(("clear", {"account": key[0], "type": key[1], "subject": key[2], "at": moment}))
            current = None
    return changes, None


def _moments(rules: list[Rule]) -> Iterator[tuple[datetime, Rule]]:
    """Each moment the condition may change: when each rule takes effect, and the
    start of each business day where its days begin or end, while it is in force."""
    for n, rule in enumerate(rules):
        until = rules[n + 1].since if n + 1 < len(rules) else None
        yield rule.since, rule
        edges = sorted({_midnight(d) for span in rule.days for d in span if d is not None})
        for edge in edges:
            if rule.since < edge and (until is None or edge < until):
                yield edge, rule


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored moment is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def settle(
    rules: Mapping[Key, list[Rule]], rows: Mapping[Key, list[Row]], horizons: Mapping[str, datetime]
) -> tuple[list[tuple[str, dict[str, Any]]], dict[Key, dict[str, Any]], list[datetime]]:
    """For each key: the alert changes up to its account's horizon, the rule row to
    keep (the last rule, and when it next changes), in key order."""
    changes: list[tuple[str, dict[str, Any]]] = []
    kept, upcoming = {}, []
    for key in sorted(rules):
        found, next_change = reconcile(key, rules[key], rows.get(key, []), horizons[key[0]])
        changes += found
        kept[key] = rules[key][-1].as_row(key, next_change)
        if next_change is not None:
            upcoming.append(next_change)
    return changes, kept, upcoming
