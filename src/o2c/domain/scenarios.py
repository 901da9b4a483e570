"""Dunning scenarios: named sequences of steps, each at an offset in days from
an invoice's due date (negative: a pre-reminder before it is due). A scenario
is an aggregate of its own, so every version of it stays in the ledger and an
auditor can tell which one applied on any date."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import event

from o2c.domain.aggregate import KeyedAggregate
from o2c.domain.collections import CHANNELS
from o2c.domain.errors import Invalid
from o2c.domain.limits import check_id

# Scenario ids live beside customer codes in the event store: a prefix no ERP
# customer code may take keeps them apart.
SCENARIO_PREFIX = "o2c:scenario:"
FORMAL_NOTICE = "formal_notice"
RISK_CLASSES = ("A", "B", "C", "D", "E")
# Ten years either side of the due date: with business dates in their window,
# every step date stays a date (and a scenario stays a collector's, not a typo's).
MAX_OFFSET_DAYS = 3650
MAX_STEPS = 50


@dataclass(frozen=True)
class Step:
    offset_days: int  # from the due date
    channel: str
    action: str  # names the step: unique within its scenario


def check_steps(steps: Sequence[Step]) -> tuple[Step, ...]:
    if not 1 <= len(steps) <= MAX_STEPS:
        raise Invalid("steps", f"must hold 1 to {MAX_STEPS} steps")
    actions: set[str] = set()
    previous: int | None = None
    for i, step in enumerate(steps):
        if not -MAX_OFFSET_DAYS <= step.offset_days <= MAX_OFFSET_DAYS:
            raise Invalid(f"steps[{i}].offset_days", f"must be between -{MAX_OFFSET_DAYS} and {MAX_OFFSET_DAYS} days")
        if step.channel not in CHANNELS:
            raise Invalid(f"steps[{i}].channel", f"must be one of {', '.join(CHANNELS)}")
        check_id(f"steps[{i}].action", step.action)
        if step.action in actions:
            raise Invalid(f"steps[{i}].action", f"'{step.action}' is already a step of this scenario")
        if previous is not None and step.offset_days < previous:
            raise Invalid(f"steps[{i}].offset_days", "steps must be in the order they are taken")
        actions.add(step.action)
        previous = step.offset_days
    return tuple(steps)


def check_scenario_name(name: str) -> str:
    """A name is a path segment of the scenario's routes and the tail of its aggregate's id."""
    check_id("name", name)
    if "/" in name:
        raise Invalid("name", "must not hold '/' (it is a path segment)")
    return name


# A step as an event holds it: plain values the event store's transcoder knows.
StepFact = tuple[int, str, str]


def _recorded(steps: Sequence[Step]) -> tuple[StepFact, ...]:
    return tuple((step.offset_days, step.channel, step.action) for step in check_steps(steps))


def check_risk_classes(risk_classes: Sequence[str]) -> tuple[str, ...]:
    for i, risk_class in enumerate(risk_classes):
        if risk_class not in RISK_CLASSES:
            raise Invalid(f"risk_classes[{i}]", f"must be one of {', '.join(RISK_CLASSES)}")
    return tuple(sorted(set(risk_classes)))


@dataclass(frozen=True)
class Version:
    version: int
    steps: tuple[Step, ...]
    risk_classes: tuple[str, ...]  # the classes that follow it by default
    recorded_at: datetime


class Scenario(KeyedAggregate):
    @staticmethod
    def create_id(name: str) -> str:
        return SCENARIO_PREFIX + name

    @classmethod
    def define(cls, name: str, event_id: str, steps: Sequence[Step], risk_classes: Sequence[str] = ()) -> Scenario:
        check_scenario_name(name)
        return cls(name=name, event_id=event_id, steps=_recorded(steps), risk_classes=check_risk_classes(risk_classes))

    @event("ScenarioDefined")
    def __init__(self, name: str, event_id: str, steps: tuple[StepFact, ...], risk_classes: tuple[str, ...]) -> None:
        self.name = name
        self.versions: list[Version] = []
        self._add_version(steps, risk_classes)

    class ScenarioRedefined(KeyedAggregate.Event):
        steps: tuple[StepFact, ...]
        risk_classes: tuple[str, ...]

        def apply(self, aggregate: Any) -> None:
            # An explicit event: the new version is dated by this event's own timestamp.
            aggregate._add_version(self.steps, self.risk_classes, self.timestamp)

    def redefine(self, event_id: str, steps: Sequence[Step], risk_classes: Sequence[str] = ()) -> None:
        self.trigger_event(
            self.ScenarioRedefined,
            event_id=event_id,
            steps=_recorded(steps),
            risk_classes=check_risk_classes(risk_classes),
        )

    def _add_version(
        self, steps: tuple[StepFact, ...], risk_classes: tuple[str, ...], recorded_at: datetime | None = None
    ) -> None:
        version = tuple(Step(*step) for step in steps)
        at = recorded_at or self.created_on
        self.versions.append(Version(len(self.versions) + 1, version, tuple(risk_classes), at))

    @property
    def current(self) -> Version:
        return self.versions[-1]

    def in_force_at(self, moment: datetime) -> Version:
        """The version recorded last by `moment` (the first one before it existed)."""
        chosen = self.versions[0]
        for version in self.versions:
            if version.recorded_at <= moment:
                chosen = version
        return chosen


# Shipped with the service, one per risk class; a scenario stored under the
# same name replaces the shipped one.
DEFAULT_SCENARIOS: dict[str, tuple[tuple[str, ...], tuple[Step, ...]]] = {
    "gentle": (
        ("A", "B"),
        (
            Step(-5, "email", "pre_reminder"),
            Step(5, "email", "reminder"),
            Step(20, "phone", "call"),
            Step(35, "letter", "second_reminder"),
            Step(50, "letter", FORMAL_NOTICE),
        ),
    ),
    "standard": (
        ("C",),
        (
            Step(1, "email", "reminder"),
            Step(10, "phone", "call"),
            Step(20, "letter", "second_reminder"),
            Step(30, "letter", FORMAL_NOTICE),
        ),
    ),
    "firm": (
        ("D", "E"),
        (
            Step(-7, "phone", "pre_reminder_call"),
            Step(1, "phone", "call"),
            Step(5, "letter", "reminder"),
            Step(15, "letter", FORMAL_NOTICE),
        ),
    ),
}
