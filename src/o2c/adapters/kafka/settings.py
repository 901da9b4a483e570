"""Connection settings for a Kafka cluster, from the environment, shared by ingest and publish.

O2C_KAFKA_BOOTSTRAP           host:port[,host:port…] (required)
O2C_KAFKA_SECURITY_PROTOCOL   PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL (default: inferred)
O2C_KAFKA_SSL_CAFILE          CA bundle that signed the brokers' certificates
O2C_KAFKA_SSL_CERTFILE        client certificate (mutual TLS)
O2C_KAFKA_SSL_KEYFILE         its private key
O2C_KAFKA_SASL_MECHANISM      PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
O2C_KAFKA_SASL_USERNAME, O2C_KAFKA_SASL_PASSWORD
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


def _env(env: Mapping[str, str], name: str) -> str:
    return env.get(f"O2C_KAFKA_{name}", "").strip()


def int_env(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole-number setting, or ValueError naming the variable."""
    text = env.get(name, "").strip() or str(default)
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{name}: {text!r} is not a whole number from {low} to {high}")
    return int(text)


def group_consumer(
    connection: dict[str, Any],
    client_id: str,
    group: str,
    batch_max: int,
    session_timeout_ms: int,
    max_poll_interval_ms: int,
    **more: Any,
) -> Any:
    """A member of a consumer group that commits nothing by itself and, with no offset, starts at
    the beginning (o2c's workers: they commit, or keep, their offsets themselves)."""
    from kafka import KafkaConsumer

    return KafkaConsumer(
        **connection,
        client_id=client_id,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=batch_max,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=max(session_timeout_ms // 5, 100),
        max_poll_interval_ms=max_poll_interval_ms,
        **more,
    )


def client_settings(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """kafka-python keyword arguments (for KafkaConsumer, KafkaProducer, KafkaAdminClient).

    Raises ValueError naming the variable when the environment is incomplete or wrong,
    so a misconfigured worker fails at start, not on its first connection."""
    env = os.environ if env is None else env
    bootstrap = _env(env, "BOOTSTRAP")
    if not bootstrap:
        raise ValueError("O2C_KAFKA_BOOTSTRAP is not set: give the brokers as host:port[,host:port…]")
    kwargs: dict[str, Any] = {"bootstrap_servers": [s.strip() for s in bootstrap.split(",") if s.strip()]}

    ssl = {key: _env(env, f"SSL_{key.upper()}") for key in ("cafile", "certfile", "keyfile")}
    for key, path in ssl.items():
        if path:
            if not os.path.isfile(path):
                raise ValueError(f"O2C_KAFKA_SSL_{key.upper()}: {path!r} is not a readable file")
            kwargs[f"ssl_{key}"] = path
    if bool(ssl["certfile"]) != bool(ssl["keyfile"]):
        raise ValueError("O2C_KAFKA_SSL_CERTFILE and O2C_KAFKA_SSL_KEYFILE go together (mutual TLS)")

    mechanism = _env(env, "SASL_MECHANISM").upper()
    if mechanism:
        if mechanism not in SASL_MECHANISMS:
            raise ValueError(f"O2C_KAFKA_SASL_MECHANISM: {mechanism!r} is not one of {', '.join(SASL_MECHANISMS)}")
        username, password = _env(env, "SASL_USERNAME"), env.get("O2C_KAFKA_SASL_PASSWORD", "")
        if not username or not password:
            raise ValueError(f"O2C_KAFKA_SASL_MECHANISM={mechanism} needs O2C_KAFKA_SASL_USERNAME and _PASSWORD")
        kwargs.update(sasl_mechanism=mechanism, sasl_plain_username=username, sasl_plain_password=password)

    uses_tls = any(ssl.values())
    inferred = ("SASL_SSL" if uses_tls else "SASL_PLAINTEXT") if mechanism else ("SSL" if uses_tls else "PLAINTEXT")
    protocol = _env(env, "SECURITY_PROTOCOL").upper() or inferred
    if protocol not in PROTOCOLS:
        raise ValueError(f"O2C_KAFKA_SECURITY_PROTOCOL: {protocol!r} is not one of {', '.join(PROTOCOLS)}")
    if protocol.startswith("SASL") and not mechanism:
        raise ValueError(f"O2C_KAFKA_SECURITY_PROTOCOL={protocol} needs O2C_KAFKA_SASL_MECHANISM")
    kwargs["security_protocol"] = protocol
    return kwargs
