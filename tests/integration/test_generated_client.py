"""An ERP team's first day: a client generated from /openapi.json by a standard
generator (openapi-python-client) posts a batch, reads a view and receives a typed
problem, against o2c served by uvicorn over HTTP."""

from __future__ import annotations

import importlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn

from o2c.api.app import create_app
from o2c.api.auth import Keyring
from o2c.config import Settings
from tests.integration.conftest import TOKENS
from tests.integration.test_openapi_contract import DOCUMENT

GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package `o2c_client`, generated once for the module."""
    root = tmp_path_factory.mktemp("generated")
    (root / "openapi.json").write_text(json.dumps(DOCUMENT))
    (root / "config.yaml").write_text("post_hooks: []\n")  # no formatter needed to use it
    run = subprocess.run(
        [GENERATOR, "generate", "--path", "openapi.json", "--output-path", "o2c_client", "--meta", "none",
         "--config", "config.yaml"],
        cwd=root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0 and "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("o2c_client")
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == "o2c_client" or n.startswith("o2c_client.")]:
            del sys.modules[name]


@pytest.fixture
def server(database_url: str) -> Iterator[str]:
    """o2c behind uvicorn on a free port, its lifespan run by uvicorn (the async engine of
    the views is bound to the server's event loop); yields its base URL."""
    app = create_app(Settings(database_url=database_url), Keyring.parse(TOKENS))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    running = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.01)
    host, port = sock.getsockname()
    yield f"http://{host}:{port}"
    running.should_exit = True
    thread.join(10)
    app.state.ledger.close()


def _module(package: ModuleType, operation_id: str) -> Any:
    return importlib.import_module(f"{package.__name__}.api.default.{operation_id}")


def test_a_generated_client_posts_a_batch_reads_a_view_and_gets_a_typed_problem(
    generated: ModuleType, server: str
) -> None:
    models = importlib.import_module("o2c_client.models")
    post_events = _module(generated, "post_events_v1_events_post")
    summary = _module(generated, "account_summary_v1_accounts_account_get")
    with generated.AuthenticatedClient(base_url=server, token="root") as client:
        opening = models.AccountOpened(name="Acme SA", currency="EUR", credit_limit="5000.00")
        invoice = models.InvoiceIssued(invoice_id="F-1", amount="1200.00", issue_date=date(2026, 3, 1),
                                       due_date=date(2026, 3, 31))  # fmt: skip
        batch = models.Batch(events=[
            models.AccountOpenedEnvelope(event_id="open-C-7", type_="AccountOpened", account="C-7", data=opening),
            models.InvoiceIssuedEnvelope(event_id="inv-F-1", type_="InvoiceIssued", account="C-7", data=invoice),
        ])  # fmt: skip
        posted = post_events.sync_detailed(client=client, body=batch)
        assert posted.status_code == 201
        assert isinstance(posted.parsed, models.Posted)
        assert [r.status for r in posted.parsed.results] == ["recorded", "recorded"]
        last = posted.parsed.results[-1].position

        view = summary.sync(account="C-7", client=client, x_o2c_after=str(last))
        assert isinstance(view, models.AccountSummary), view
        assert (view.outstanding, view.exposure) == ("1200.00", "1200.00")

        negative = models.InvoiceIssued(invoice_id="F-2", amount="-5.00", issue_date=date(2026, 3, 1),
                                        due_date=date(2026, 3, 31))  # fmt: skip
        wrong = models.InvoiceIssuedEnvelope(event_id="inv-F-2", type_="InvoiceIssued", account="C-7", data=negative)
        refused = post_events.sync_detailed(client=client, body=wrong)
        assert refused.status_code == 422
        problem = refused.parsed
        assert isinstance(problem, models.Problem) and problem.status == 422
        assert problem.errors and all(isinstance(e, models.FieldError) for e in problem.errors)
        assert [e.field for e in problem.errors] == ["data.amount"]

        unknown = summary.sync(account="C-404", client=client)
        assert isinstance(unknown, models.Problem) and unknown.status == 404
