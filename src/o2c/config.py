"""Configuration from the environment (and a `.env` file), read once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote, urlparse

from dotenv import load_dotenv

from o2c.domain.agenda import DEFAULT_RISK_WEIGHTS, parse_risk_weights
from o2c.domain.money import MINOR_UNITS
from o2c.domain.overdue_severity import DEFAULT_AMOUNTS, DEFAULT_DAYS, DEFAULT_OVERDUE_SEVERITY, OverdueSeverity
from o2c.domain.penalties import LAW_CURRENCY, LEGAL_INDEMNITY, LEGAL_MARGIN_POINTS, PenaltyTerms
from o2c.domain.risk import DEFAULT_WEIGHTS, RiskWeights

DEFAULT_DATABASE_URL = "sqlite:///./o2c.db"
LEDGER_TOPIC = "o2c.ledger"  # where `o2c kafka-publish` puts every fact, keyed by account
# The ECB main refinancing rate in force on 1 January and 1 July of each half-year
# (Code de commerce L441-10). Defaults only: configure O2C_PENALTY_REFERENCE_RATES from
# the rates the Banque de France publishes each half-year, and add each new one.
DEFAULT_PENALTY_REFERENCE_RATES = (
    "2022-01-01=0.00,2022-07-01=0.00,2023-01-01=2.50,2023-07-01=4.00,"
    "2024-01-01=4.50,2024-07-01=4.25,2025-01-01=3.15,2025-07-01=2.15,2026-01-01=2.15"
)


def parse_decimal(variable: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{variable}: {text!r} is not a decimal number") from None
    if not value.is_finite():
        raise ValueError(f"{variable}: {text!r} is not a finite decimal number")
    return value


def parse_reference_rates(text: str) -> tuple[tuple[date, Decimal], ...]:
    """`2025-01-01=3.15,2025-07-01=2.15`: each rate (percent) from its effective date, in date order."""
    variable = "O2C_PENALTY_REFERENCE_RATES"
    schedule = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        effective, sep, rate = entry.partition("=")
        try:
            day = date.fromisoformat(effective.strip())
        except ValueError:
            day = None
        if not sep or day is None:
            raise ValueError(f"{variable}: {entry!r} is not DATE=RATE, e.g. 2026-01-01=2.15")
        schedule.append((day, parse_decimal(variable, rate)))
    return tuple(schedule)


def parse_indemnities(text: str) -> dict[str, Any]:
    """`40.00` (the EUR amount, as before) or `EUR=40.00,USD=45.00`: the EUR amount the
    law fixes, and an amount per currency no recorded rate relates to EUR."""
    variable = "O2C_PENALTY_INDEMNITY"
    amounts: dict[str, Decimal] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        currency, sep, value = entry.rpartition("=")
        currency = currency.strip() if sep else LAW_CURRENCY
        if currency not in MINOR_UNITS or currency in amounts:
            raise ValueError(f"{variable}: {entry!r} is not CURRENCY=AMOUNT with an ISO 4217 code, once each")
        amounts[currency] = parse_decimal(variable, value)
    return {"penalty_indemnity": amounts.pop(LAW_CURRENCY, LEGAL_INDEMNITY), "penalty_indemnities": amounts}


def _projection_topic(env: Mapping[str, str]) -> str | None:
    mode = env.get("O2C_PROJECTION", "").strip().lower() or "single"
    if mode not in ("single", "kafka"):
        raise ValueError(f"O2C_PROJECTION: {mode!r} is not single (one projector) or kafka (o2c kafka-project workers)")
    return (env.get("O2C_KAFKA_LEDGER_TOPIC", "").strip() or LEDGER_TOPIC) if mode == "kafka" else None


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    api_keys: str = ""
    kafka_bootstrap: str = ""
    hold_days_past_due: int = 60
    max_body_bytes: int = 4 * 1024 * 1024
    read_your_writes_timeout_s: float = 5.0
    health_max_lag_events: int = 10_000  # O2C_HEALTH_MAX_LAG_EVENTS: /health is degraded beyond
    penalty_reference_rates: tuple[tuple[date, Decimal], ...] = parse_reference_rates(DEFAULT_PENALTY_REFERENCE_RATES)
    penalty_margin_points: Decimal = LEGAL_MARGIN_POINTS
    penalty_indemnity: Decimal = LEGAL_INDEMNITY  # in EUR, as the law fixes it
    # O2C_PENALTY_INDEMNITY's per-currency amounts, for a currency no recorded rate relates to EUR
    penalty_indemnities: Mapping[str, Decimal] = field(default_factory=dict)
    # O2C_REPORTING_CURRENCY: portfolio views convert into it unless `reporting_currency=` says otherwise
    reporting_currency: str | None = None
    risk_weights: RiskWeights = DEFAULT_WEIGHTS  # O2C_RISK_WEIGHTS: the risk score's factors
    # O2C_AGENDA_RISK_WEIGHTS: how much a risk class weighs in the agenda's priority
    agenda_risk_weights: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_RISK_WEIGHTS))
    # O2C_OVERDUE_SEVERITY_DAYS and _AMOUNTS: how an overdue alert's severity rises
    overdue_severity: OverdueSeverity = DEFAULT_OVERDUE_SEVERITY
    # O2C_PROJECTION=kafka: the read model is built by `o2c kafka-project` workers from this topic
    # (O2C_KAFKA_LEDGER_TOPIC); None: by the single projector (in `serve`, or `o2c project`)
    kafka_projection_topic: str | None = None

    def __post_init__(self) -> None:
        # Bad penalty terms fail here, at startup, not on the first penalties request.
        try:
            self.penalty_terms  # noqa: B018
        except ValueError as e:
            raise ValueError(f"late-payment penalty settings (O2C_PENALTY_*): {e}") from None
        if self.reporting_currency is not None and self.reporting_currency not in MINOR_UNITS:
            raise ValueError(f"O2C_REPORTING_CURRENCY: {self.reporting_currency!r} is not an ISO 4217 currency code")

    @classmethod
    def from_env(cls) -> Settings:
        load_dotenv(override=False)
        env = os.environ
        return cls(
            database_url=env.get("O2C_DATABASE_URL", DEFAULT_DATABASE_URL),
            api_keys=env.get("O2C_API_KEYS", ""),
            kafka_bootstrap=env.get("O2C_KAFKA_BOOTSTRAP", ""),
            hold_days_past_due=int(env.get("O2C_HOLD_DAYS_PAST_DUE", "60")),
            max_body_bytes=int(env.get("O2C_MAX_BODY_BYTES", str(4 * 1024 * 1024))),
            read_your_writes_timeout_s=float(env.get("O2C_AFTER_TIMEOUT_S", "5")),
            health_max_lag_events=int(env.get("O2C_HEALTH_MAX_LAG_EVENTS", "10000")),
            risk_weights=RiskWeights.parse(env.get("O2C_RISK_WEIGHTS", "")),
            agenda_risk_weights=parse_risk_weights(env.get("O2C_AGENDA_RISK_WEIGHTS", "")),
            overdue_severity=OverdueSeverity.parse(
                env.get("O2C_OVERDUE_SEVERITY_DAYS", DEFAULT_DAYS),
                env.get("O2C_OVERDUE_SEVERITY_AMOUNTS", DEFAULT_AMOUNTS),
            ),
            penalty_reference_rates=parse_reference_rates(
                env.get("O2C_PENALTY_REFERENCE_RATES", DEFAULT_PENALTY_REFERENCE_RATES)
            ),
            penalty_margin_points=parse_decimal(
                "O2C_PENALTY_MARGIN_POINTS", env.get("O2C_PENALTY_MARGIN_POINTS", str(LEGAL_MARGIN_POINTS))
            ),
            **parse_indemnities(env.get("O2C_PENALTY_INDEMNITY", str(LEGAL_INDEMNITY))),
            reporting_currency=env.get("O2C_REPORTING_CURRENCY", "").strip() or None,
            kafka_projection_topic=_projection_topic(env),
        )

    @property
    def penalty_terms(self) -> PenaltyTerms:
        return PenaltyTerms(
            self.penalty_reference_rates, self.penalty_margin_points, self.penalty_indemnity, self.penalty_indemnities
        )

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql:", "postgres:", "postgresql+"))


def eventstore_env(database_url: str) -> dict[str, str]:
    """The `eventsourcing` library's settings for a database URL."""
    url = urlparse(database_url)
    if url.scheme == "sqlite":
        path = database_url.removeprefix("sqlite:///") or ":memory:"
        return {
            "PERSISTENCE_MODULE": "o2c.adapters.recorders:SQLiteLedgerFactory",
            "SQLITE_DBNAME": path if path != ":memory:" else "file:o2c?mode=memory&cache=shared",
            "ORIGINATOR_ID_TYPE": "text",
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    if url.scheme.split("+")[0] in ("postgresql", "postgres"):
        return {
            "PERSISTENCE_MODULE": "o2c.adapters.recorders:PostgresLedgerFactory",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_POOL_SIZE": "8",
            "POSTGRES_LOCK_TIMEOUT": "10",
            "ORIGINATOR_ID_TYPE": "text",
        }
    raise ValueError(f"O2C_DATABASE_URL must be sqlite:///… or postgresql://…, not {database_url!r}")
