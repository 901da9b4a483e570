"""The HTTP service: FastAPI wired to the ledger, the read model and, in the
embedded default, the projection running in a background thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import FastAPI

from o2c.api import openapi, problems
from o2c.api.agendas import Agendas
from o2c.api.auth import Keyring
from o2c.api.freshness import MarkStale
from o2c.api.guards import RequestGuard
from o2c.api.hygiene import RefuseControlCharacters
from o2c.api.routes import (
    accounts,
    aging,
    alerts,
    audit,
    collections,
    credit_check,
    directory,
    events,
    fx_rates,
    ops,
    parked,
    penalties,
    portfolio,
    reports,
)
from o2c.api.routes.ops import Metrics
from o2c.api.schemas import LIMITS_DESCRIPTION
from o2c.config import Settings, eventstore_env
from o2c.ledger.application import Ledger
from o2c.projections.database import async_engine, migrate, sync_engine
from o2c.projections.process import ProjectorProcess
from o2c.projections.projector import ReadModelProjection
from o2c.projections.runner import ProjectionThread


def create_app(
    settings: Settings,
    keyring: Keyring,
    ledger: Ledger | None = None,
    *,
    projection: Literal["thread", "process", "none"] = "thread",
) -> FastAPI:
    ledger = ledger or Ledger(eventstore_env(settings.database_url))
    migrate(settings.database_url)
    engine = sync_engine(settings.database_url)
    read_model = ReadModelProjection(ledger, engine, ledger.clock, settings.risk_weights)
    runner: ProjectionThread | ProjectorProcess | None = None
    if settings.kafka_projection_topic is not None:
        pass  # the read model is the `o2c kafka-project` workers' (a projector here would write it twice)
    elif projection == "thread":
        runner = ProjectionThread(read_model)
    elif projection == "process":
        runner = ProjectorProcess(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runner is not None:
            ledger.on_recorded.append(runner.wake)
            runner.start()
        # Ready once the collection cases are read: the first agenda asked then
        # only works its day out (reading 10,000 cases takes ~0.4 s).
        await app.state.agendas.warm(app.state.views)
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()
            await app.state.views.dispose()
            read_model.engine.dispose()

    app = FastAPI(
        title="o2c",
        version="0.1.0",
        summary="Order-to-cash and credit management ledger",
        description=LIMITS_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served offline by openapi.install, with the assets of an installed package
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.keyring = keyring
    app.state.ledger = ledger
    app.state.projection = read_model
    app.state.runner = runner
    app.state.views = async_engine(settings.database_url)
    app.state.agendas = Agendas(settings.agenda_risk_weights)
    app.state.metrics = Metrics(ledger, read_model, runner)
    problems.install(app)
    openapi.install(app)
    app.add_middleware(MarkStale)  # views of parked accounts say so (X-O2C-Stale)
    app.add_middleware(RefuseControlCharacters)  # inside the guard: a bad token is 401 first
    # Token and body size are checked before any route reads the body (see guards).
    app.add_middleware(RequestGuard)
    # The read model's, in the OpenAPI's order (`/v1/accounts` is no `/v1/accounts/{account}`: either may come first).
    views = (directory, accounts, aging, portfolio, alerts, credit_check)
    for module in (events, audit, *views, penalties, collections, reports, fx_rates, ops, parked):
        app.include_router(module.router)
    return app
