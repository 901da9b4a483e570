"""The pure domain of o2c: customer accounts, their open items and the rules
of the trade. No I/O here; `eventsourcing.domain` is the only framework."""
