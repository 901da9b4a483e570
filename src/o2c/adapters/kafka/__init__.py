"""Kafka adapters: `o2c kafka-ingest` (facts in) and `o2c kafka-publish` (ledger out)."""
