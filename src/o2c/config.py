"""Configuration from the environment (and a `.env` file), read once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from dotenv import load_dotenv

DEFAULT_DATABASE_URL = "sqlite:///./o2c.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    api_keys: str = ""
    kafka_bootstrap: str = ""
    hold_days_past_due: int = 60
    max_body_bytes: int = 4 * 1024 * 1024
    read_your_writes_timeout_s: float = 5.0

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
