"""Why the ledger refuses a fact. Each error names the field at fault."""

from __future__ import annotations


class RuleViolation(Exception):
    """A fact breaks a rule of the ledger; nothing of it is recorded."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Invalid(RuleViolation):
    """The fact is well-formed but not acceptable (amount, date, reference)."""


class NotFound(RuleViolation):
    """The fact names an account the ledger does not know."""


class Conflict(RuleViolation):
    """The fact contradicts one already recorded (a reused id, a closed dispute)."""
