"""Migration 0009: a read model projected before it holds no plan lines; if it
holds a plan it is emptied, and the projection replays the log into what a
rebuild gives; one without a plan is kept as it is."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from o2c.projections.database import MIGRATIONS
from o2c.projections.projector import ReadModelProjection
from tests.integration.conftest import envelope, invoice, opened
from tests.integration.portfolio_strategies import Store, differences, fresh_store, tables

PLAN = envelope("pl-1", "PaymentPlanAgreed", "C-1", plan_id="PL-1", invoice_ids=["F-1"], agreed_date="2026-04-15",
                installments=[{"due_date": "2026-04-30", "amount": "1000.00"}])  # fmt: skip


def migrated_again(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Back to 0008 and up again to the head, as an upgrade of a read model kept before 0009."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", store.url)
    command.downgrade(config, "0008")
    command.upgrade(config, "head")
    return tables(store.engine)


def test_a_read_model_holding_a_plan_is_replayed(database_url: str) -> None:
    with fresh_store(database_url) as store:
        store.record([opened("C-1"), invoice("F-1", "1000.00", "2026-03-01", "2026-03-31", account="C-1"), PLAN])
        ReadModelProjection(store.ledger, store.engine, store.ledger.clock).run_until_caught_up()
        projected = tables(store.engine)
        emptied = migrated_again(store)
        assert emptied["rm_tracking"] == [] and emptied["rm_lines"] == [] and emptied["rm_accounts"] == []
        ReadModelProjection(store.ledger, store.engine, store.ledger.clock).run_until_caught_up()
        assert differences(tables(store.engine), projected) == {}


def test_a_read_model_without_a_plan_is_kept(database_url: str) -> None:
    with fresh_store(database_url) as store:
        store.record([opened("C-1"), invoice("F-1", "1000.00", "2026-03-01", "2026-03-31", account="C-1")])
        ReadModelProjection(store.ledger, store.engine, store.ledger.clock).run_until_caught_up()
        projected = tables(store.engine)
        assert differences(migrated_again(store), projected) == {}
