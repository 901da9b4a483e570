"""Exchange rates as facts, over HTTP on each store: recorded by an admin, a day
replaced by a new version, read back from the ledger and the read model, the
read model's rate book; every refusal a 422 naming its field; a rebuild gives
the same rm_fx_rates as the live projection."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from o2c.cli import main
from o2c.projections.database import sync_engine
from o2c.projections.fx import rate_book
from tests.integration.conftest import BI, Service, make_service, stop_service
from tests.integration.portfolio_strategies import differences, tables

ROOT = {"Authorization": "Bearer root"}


def put(service: Service, day: str, base: str = "EUR", **rates: Any) -> Any:
    return service.client.put(f"/v1/fx-rates/{day}", json={"base": base, "rates": rates}, headers=ROOT)


def recorded(service: Service, day: str, base: str = "EUR", **rates: Any) -> int:
    response = put(service, day, base, **rates)
    assert response.status_code in (200, 201), response.text
    position: int = response.json()["position"]
    return position


def test_a_day_recorded_then_replaced_keeps_both_versions(service: Service) -> None:
    first = put(service, "2026-11-30", USD="1.0842", JPY="162.53")
    assert first.status_code == 201, first.text
    assert first.json()["rates"] == {"JPY": "162.53", "USD": "1.0842"}
    second = put(service, "2026-11-30", USD="1.0850")
    assert second.status_code == 200 and second.json()["version"] == 2
    after = {**BI, "X-O2C-After": str(second.json()["position"])}

    day = service.client.get("/v1/fx-rates/2026-11-30", headers=after).json()
    assert (day["rate_date"], day["base"], day["rates"], day["version"]) == ("2026-11-30", "EUR", {"USD": "1.0850"}, 2)
    assert [v["rates"] for v in day["versions"]] == [{"JPY": "162.53", "USD": "1.0842"}, {"USD": "1.0850"}]

    # The read model keeps the day's latest document only: JPY is gone with version 1.
    listed = service.client.get("/v1/fx-rates", headers=after).json()
    assert [(d["rate_date"], d["rates"], d["version"]) for d in listed["documents"]] == [
        ("2026-11-30", {"USD": "1.0850"}, 2)
    ]
    assert listed["documents"][0]["recorded_at"] == second.json()["recorded_at"]


def test_the_list_pages_newest_first_and_tells_the_rates_in_force(service: Service) -> None:
    recorded(service, "2026-10-30", USD="1.07", JPY="160")
    recorded(service, "2026-11-27", USD="1.08")
    recorded(service, "2026-11-30", "USD", EUR="0.92", GBP="0.79")
    last = recorded(service, "2026-12-31", USD="1.10")
    after = {**BI, "X-O2C-After": str(last)}

    page = service.client.get("/v1/fx-rates", params={"limit": 2}, headers=after).json()
    assert [d["rate_date"] for d in page["documents"]] == ["2026-12-31", "2026-11-30"]
    rest = service.client.get("/v1/fx-rates", params={"limit": 2, "cursor": page["next_cursor"]}, headers=after)
    assert [d["rate_date"] for d in rest.json()["documents"]] == ["2026-11-27", "2026-10-30"]
    assert rest.json()["next_cursor"] is None

    on = service.client.get("/v1/fx-rates", params={"as_of": "2026-11-30"}, headers=after).json()
    assert [d["rate_date"] for d in on["documents"]] == ["2026-11-30", "2026-11-27", "2026-10-30"]
    assert on["in_force"] == [
        {"base": "EUR", "quote": "JPY", "rate": "160", "rate_date": "2026-10-30"},
        {"base": "EUR", "quote": "USD", "rate": "1.08", "rate_date": "2026-11-27"},
        {"base": "USD", "quote": "EUR", "rate": "0.92", "rate_date": "2026-11-30"},
        {"base": "USD", "quote": "GBP", "rate": "0.79", "rate_date": "2026-11-30"},
    ]


def test_the_rate_book_converts_at_the_latest_document_relating_the_pair(service: Service, app_engine: Any) -> None:
    recorded(service, "2026-10-30", USD="1.07", JPY="160")
    recorded(service, "2026-11-27", USD="1.08")
    last = recorded(service, "2026-11-30", "USD", GBP="0.79")
    service.client.get("/v1/fx-rates", headers={**BI, "X-O2C-After": str(last)})
    book = app_engine.run(rate_book)

    usd = book.conversion("USD", "EUR", date(2026, 11, 30))  # inverse, of 27 November (the 30th has no EUR)
    assert (usd.rate_date, usd.convert(Decimal("108"))) == (date(2026, 11, 27), Decimal(100))
    jpy = book.conversion("JPY", "USD", date(2026, 11, 30))  # across the base, of 30 October
    assert (jpy.rate_date, jpy.rate) == (date(2026, 10, 30), Decimal("1.07") / Decimal("160"))
    with pytest.raises(Exception, match="no exchange rate GBP/JPY"):
        book.conversion("GBP", "JPY", date(2026, 11, 30))

    # A replaced day is read again: the kept book is not served stale.
    again = recorded(service, "2026-11-27", USD="1.25")
    service.client.get("/v1/fx-rates", headers={**BI, "X-O2C-After": str(again)})
    assert app_engine.run(rate_book).conversion("EUR", "USD", date(2026, 11, 30)).rate == Decimal("1.25")


@pytest.mark.parametrize(
    ("day", "body", "field"),
    [
        ("1899-12-31", {"base": "EUR", "rates": {"USD": "1.08"}}, "date"),
        ("2026-02-30", {"base": "EUR", "rates": {"USD": "1.08"}}, "date"),
        ("٢٠٢٦-01-01", {"base": "EUR", "rates": {"USD": "1.08"}}, "date"),
        ("2026-11-30", {"base": "EURO", "rates": {"USD": "1.08"}}, "base"),
        ("2026-11-30", {"base": "ABC", "rates": {"USD": "1.08"}}, "base"),
        ("2026-11-30", {"rates": {"USD": "1.08"}}, "base"),
        ("2026-11-30", {"base": "EUR", "rates": {}}, "rates"),
        ("2026-11-30", {"base": "EUR", "rates": {"US": "1.08"}}, "rates.US"),
        ("2026-11-30", {"base": "EUR", "rates": {"\u0000SD": "1.08"}}, "rates"),
        ("2026-11-30", {"base": "EUR", "rates": {"EUR": "1"}}, "rates.EUR"),
        ("2026-11-30", {"base": "EUR", "rates": {"USD": 1.08}}, "rates.USD"),
        ("2026-11-30", {"base": "EUR", "rates": {"USD": "1.08e0"}}, "rates.USD"),
        ("2026-11-30", {"base": "EUR", "rates": {"USD": "NaN"}}, "rates.USD"),
        ("2026-11-30", {"base": "EUR", "rates": {"USD": "\u0661.\u0660\u0668"}}, "rates.USD"),
        ("2026-11-30", {"base": "EUR", "rates": {"USD": "0"}}, "rates.USD"),
        ("2026-11-30", {"base": "EUR", "rates": {"USD": "-1.08"}}, "rates.USD"),
        ("2026-11-30", {"base": "EUR", "rates": {"USD": "0.0000000001"}}, "rates.USD"),
        ("2026-11-30", {"base": "EUR", "rates": {"USD": "1000000000.1"}}, "rates.USD"),
        ("2026-11-30", {"base": "EUR", "rates": {"USD": "1.0842000000001"}}, "rates.USD"),
        ("2026-11-30", {"base": "EUR", "rates": {"USD": None}}, "rates.USD"),
        ("2026-11-30", {"base": "EUR", "rates": {f"Q{i:03}": "1" for i in range(201)}}, "rates"),
    ],
)
def test_bad_rates_are_refused_naming_the_field(service: Service, day: str, body: dict[str, Any], field: str) -> None:
    response = service.client.put(f"/v1/fx-rates/{day}", json=body, headers=ROOT)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert service.client.get("/v1/fx-rates", headers=BI).json()["documents"] == []


def test_only_an_admin_records_rates_and_an_unknown_day_is_404(service: Service) -> None:
    assert service.client.put("/v1/fx-rates/2026-11-30", json={"base": "EUR", "rates": {"USD": "1"}},
                              headers=BI).status_code == 403  # fmt: skip
    response = service.client.get("/v1/fx-rates/2026-11-29", headers=BI)
    assert response.status_code == 404 and response.json()["errors"][0]["field"] == "date"
    assert service.client.get("/v1/fx-rates", params={"cursor": "nope"}, headers=BI).status_code == 422


def test_a_day_of_rates_is_no_account(service: Service) -> None:
    last = recorded(service, "2026-11-30", USD="1.08")
    code = "o2c:fx:2026-11-30"
    for response in (service.state(code), service.history(code)):
        assert response.status_code == 404, response.text
    for view in ("", "/penalties", "/aging", "/open-items"):
        response = service.client.get(f"/v1/accounts/{code}{view}", headers={**BI, "X-O2C-After": str(last)})
        assert response.status_code == 404 and response.json()["errors"][0]["field"] == "account", view


def test_a_rebuild_gives_the_same_rates_as_the_live_projection(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, app = make_service(database_url)
    try:
        recorded(service, "2026-11-27", USD="1.08", JPY="161.2")
        recorded(service, "2026-11-30", USD="1.0842", JPY="162.53", KWD="0.333")
        last = recorded(service, "2026-11-30", USD="1.0850", GBP="0.8612")  # JPY and KWD dropped
        service.client.get("/v1/fx-rates", headers={**BI, "X-O2C-After": str(last)})
    finally:
        stop_service(app)
    engine = sync_engine(database_url)
    try:
        live = tables(engine)
        assert sorted((str(r[0]), r[1]) for r in live["rm_fx_rates"]) == [
            ("2026-11-27", "JPY"), ("2026-11-27", "USD"), ("2026-11-30", "GBP"), ("2026-11-30", "USD")
        ]  # fmt: skip
        monkeypatch.setenv("O2C_DATABASE_URL", database_url)
        main(["rebuild"])
        assert differences(tables(engine), live) == {}
    finally:
        engine.dispose()


class _Runner:
    """Runs a read of the read model on the service's own async engine."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def run(self, read: Any) -> Any:
        engine: AsyncEngine = self.service.client.app.state.views  # type: ignore[attr-defined]

        async def go() -> Any:
            async with engine.connect() as conn:
                return await read(conn)

        return self.service.client.portal.call(go)  # type: ignore[union-attr]


@pytest.fixture
def app_engine(service: Service) -> _Runner:
    return _Runner(service)
