"""A seeded, realistic sample portfolio (`o2c demo`): 32 customers `DEMO-0001`…
trading over the last 18 months up to today, and their collections (reminders,
promises, payment plans), recorded through the ledger."""

from o2c.demo.seeding import DemoRejected, Seeded, portfolio, seed

__all__ = ["DemoRejected", "Seeded", "portfolio", "seed"]
