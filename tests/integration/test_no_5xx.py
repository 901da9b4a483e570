"""Every wrong path, query parameter, header, cursor and body found answering
5xx (issue 8, §3) answers a 4xx problem naming what is wrong, on both stores."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from o2c.api.monthly_figures import against
from o2c.domain.agenda import agenda_line
from o2c.domain.cases import CaseInvoice
from o2c.domain.scenarios import Step
from tests.integration.conftest import AUDITOR, BI, Service, invoice, opened

ADMIN = {"Authorization": "Bearer root"}
# Arabic-Indic digits: str.isdigit(), int() and Decimal() read them as ASCII ones.
ARABIC_12 = "\u0661\u0662"
ARABIC_DATE = "\u0662\u0660\u0662\u0666-\u0660\u0661-\u0660\u0661"  # 2026-01-01
HUGE = base64.urlsafe_b64encode(b"v1:" + b"9" * 40).decode().rstrip("=")


def fields_of(response: Any) -> list[str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return [e["field"] for e in response.json().get("errors") or []]


def refused(response: Any, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    if field is not None:
        assert field in fields_of(response), response.text


@pytest.fixture
def position(service: Service) -> int:
    response = service.post({"events": [opened("C-1"), invoice("F-1", "100.00", account="C-1")]})
    assert response.status_code == 201, response.text
    return int(response.json()["results"][-1]["position"])


def get(service: Service, url: str, headers: dict[str, Any] = BI, **params: Any) -> Any:
    return service.client.get(url, params=params, headers=headers)


def test_business_dates_outside_the_window_are_422(service: Service, position: int) -> None:
    for url, params in [
        ("/v1/dso", {"as_of": "0001-06-01"}),
        ("/v1/dso", {"as_of": "9999-12-31"}),
        ("/v1/aging", {"as_of": "0001-01-01"}),
        ("/v1/accounts/C-1/aging", {"as_of": "2200-01-01"}),
        ("/v1/accounts/C-1/penalties", {"as_of": "9999-12-31"}),
        ("/v1/collections/agenda", {"date": "0001-01-01"}),
        ("/v1/dso", {"as_of": ARABIC_DATE}),
        ("/v1/dso", {"as_of": "0"}),
    ]:
        refused(get(service, url, **params), 422, next(iter(params)))


def test_audit_dates_outside_the_window_are_422(service: Service, position: int) -> None:
    refused(service.state("C-1", as_of="0001-01-01"), 422, "as_of")
    for moment in ("0001-01-01", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", ARABIC_DATE):
        refused(service.state("C-1", known_at=moment), 422, "known_at")


def test_months_outside_the_window_are_422(service: Service, position: int) -> None:
    for month in ("0001-01", "9999-12", "\u0662\u0660\u0662\u0666-01", "2026-13"):
        refused(get(service, "/v1/reports/monthly", month=month), 422, "month")
    for month in ("0000-01", "9999-12", "\u0662\u0660\u0662\u0666-01"):
        refused(service.client.put(f"/v1/reports/budget/{month}", json={"dso": "40"}, headers=ADMIN), 422, "month")


def test_position_cursors_that_this_service_did_not_return_are_422(service: Service, position: int) -> None:
    for url, headers in [("/v1/alerts", BI), ("/v1/accounts/C-1/history", AUDITOR), ("/v1/collections/agenda", BI)]:
        for cursor in [HUGE, "AAAA", "!!!", "é", base64.urlsafe_b64encode("v1:\u0661\u0662".encode()).decode(),
                       base64.urlsafe_b64encode(b"v1:-5").decode(),
                       base64.urlsafe_b64encode(b"v1:+5").decode()]:  # fmt: skip
            refused(get(service, url, headers, cursor=cursor), 422, "cursor")


def test_key_cursors_that_this_service_did_not_return_are_422(service: Service, position: int) -> None:
    for url in ["/v1/aging", "/v1/accounts/C-1/open-items"]:
        for cursor in ["AAAA", "AA", "é", base64.urlsafe_b64encode(b"\xff\xfe").decode(),
                       base64.urlsafe_b64encode(b"C\x01").decode(),
                       base64.urlsafe_b64encode(b"0001-13-01\x00F\x00G").decode()]:  # fmt: skip
            refused(get(service, url, cursor=cursor), 422, "cursor")


@pytest.mark.parametrize("url", ["/v1/aging", "/v1/accounts/C-1/aging"])
def test_aging_buckets_are_bounded(service: Service, position: int, url: str) -> None:
    for buckets in (",".join(str(d) for d in range(1, 2001)), ",".join(str(d) for d in range(1, 22)), "30,3651",
                    "²", ARABIC_12, "30,30", "60,30", "0,30"):  # fmt: skip
        refused(get(service, url, buckets=buckets), 422, "buckets")
    after = {**BI, "X-O2C-After": str(position)}
    twenty = get(service, url, after, buckets=",".join(str(d) for d in range(1, 21)))
    assert twenty.status_code == 200 and len(twenty.json()["buckets"]) == 22  # current, 20 ranges, over 20


def test_counts_are_ascii_digits(service: Service, position: int) -> None:
    for url, params in [("/v1/aging", {"limit": "²"}), ("/v1/aging", {"limit": ARABIC_12}), ("/v1/dso", {"days": "²"}),
                        ("/v1/exposure", {"top": ARABIC_12}), ("/v1/alerts", {"limit": "²"}),
                        ("/v1/collections/agenda", {"limit": ARABIC_12}),
                        ("/v1/accounts/C-1/open-items", {"limit": "²"}),
                        ("/v1/reports/monthly", {"month": "2026-01", "days": ARABIC_12}),
                        ("/v1/reports/monthly", {"month": "2026-01", "top": "²"})]:  # fmt: skip
        refused(get(service, url, **params), 422, list(params)[-1])
    refused(get(service, "/v1/accounts/C-1/history", AUDITOR, limit=ARABIC_12), 422, "limit")


def test_read_your_writes_header_is_ascii_digits(service: Service, position: int) -> None:
    for value in ["²".encode("latin-1"), b"\xb9", ARABIC_12.encode(), b"1" * 40, b"-1"]:
        refused(get(service, "/v1/alerts", {**BI, "X-O2C-After": value}), 422, "X-O2C-After")


def test_control_characters_in_paths_and_queries_are_422(service: Service, position: int) -> None:
    for url, headers in [
        ("/v1/accounts/C%001", BI), ("/v1/accounts/C%001/state", AUDITOR), ("/v1/accounts/C%001/history", AUDITOR),
        ("/v1/accounts/C%001/open-items", BI), ("/v1/accounts/C%1F1/aging", BI), ("/v1/accounts/C%001/penalties", BI),
        ("/v1/alerts?account=C%001", BI), ("/v1/alerts?type=%00", BI), ("/v1/dso?account=%00", BI),
        ("/v1/alerts?%00=1", BI), ("/v1/collections/scenarios/s%00", ADMIN),
    ]:  # fmt: skip
        refused(service.client.get(url, headers=headers), 422)


def test_control_characters_in_names_given_in_bodies_are_422(service: Service, position: int) -> None:
    refused(service.client.post("/v1/credit-check", json={"account": "C\x00", "amount": "1.00"}, headers=BI), 422,
            "account")  # fmt: skip
    put = service.client.put("/v1/collections/scenarios/s", headers=ADMIN,
                             json={"steps": [{"offset_days": 1, "channel": "email", "action": "a\x00"}]})  # fmt: skip
    refused(put, 422, "steps[0].action")


def test_o2c_own_aggregates_are_no_account(service: Service, position: int) -> None:
    steps = [{"offset_days": 1, "channel": "email", "action": "reminder"}]
    assert service.client.put("/v1/collections/scenarios/s", json={"steps": steps}, headers=ADMIN).status_code == 201
    assert service.client.put("/v1/reports/budget/2026-01", json={"dso": "40"}, headers=ADMIN).status_code == 200
    for code in ("o2c:scenario:s", "o2c:budget:2026-01", "o2c:scenario:gentle"):
        refused(service.state(code), 404, "account")
        refused(service.history(code), 404, "account")
        refused(get(service, f"/v1/accounts/{code}/penalties"), 404, "account")
        refused(get(service, f"/v1/accounts/{code}"), 404, "account")
        refused(get(service, f"/v1/accounts/{code}/aging"), 404, "account")
        refused(get(service, f"/v1/accounts/{code}/open-items"), 404, "account")


def test_budget_figures_are_bounded(service: Service, position: int) -> None:
    for figures, field in [
        ({"dso": "1E+30"}, "figures.dso"), ({"dso": 1e30}, "figures.dso"), ({"dso": "NaN"}, "figures.dso"),
        ({"dso": "3651"}, "figures.dso"), ({"cei": "100.1"}, "figures.cei"), ({"dso": ARABIC_12}, "figures.dso"),
        ({"outstanding": "1000000000000000.01"}, "figures.outstanding"),
        ({"disputes_opened": "1.5"}, "figures.disputes_opened"), ({"dso": "-1"}, "figures.dso"),
        ({"dso": "40.00001"}, "figures.dso"), ({"dso": 10**30}, "figures.dso"),
    ]:  # fmt: skip
        refused(service.client.put("/v1/reports/budget/2026-01", json=figures, headers=ADMIN), 422, field)
    report = get(service, "/v1/reports/monthly", {**BI, "X-O2C-After": str(position)}, month="2026-01")
    assert report.status_code == 200 and report.json()["budget"] is None


def test_the_largest_budget_reads_in_the_report(service: Service, position: int) -> None:
    figures = {"dso": "3650", "cei": "100", "outstanding": "999999999999999.99", "disputes_opened": 1000000000}
    put = service.client.put("/v1/reports/budget/2026-01", json=figures, headers=ADMIN)
    assert put.status_code == 200, put.text
    after = {**BI, "X-O2C-After": str(put.json()["position"])}
    report = get(service, "/v1/reports/monthly", after, month="2026-01")
    assert report.status_code == 200 and report.json()["budget"]["outstanding"]["budget"] == "999999999999999.99"
    assert get(service, "/v1/reports/monthly", after, month="2026-01", format="csv").status_code == 200


def test_a_budget_recorded_before_the_bounds_does_not_fail_the_report() -> None:
    shown = against({"dso": Decimal("1E+30"), "outstanding": Decimal("1E+40")},
                    {"dso": Decimal(40), "outstanding": Decimal(5)}, "EUR")  # fmt: skip
    assert shown["dso"]["budget"] == "1E+30" and shown["outstanding"]["actual"] == "5.00"


def test_scenario_steps_are_bounded(service: Service, position: int) -> None:
    for step, field in [
        ({"offset_days": -3651}, "steps[0].offset_days"), ({"offset_days": 3651}, "steps[0].offset_days"),
        ({"offset_days": 10**20}, "steps[0].offset_days"), ({"action": " "}, "steps[0].action"),
        ({"action": "x" * 101}, "steps[0].action"), ({"channel": "pigeon"}, "steps[0].channel"),
    ]:  # fmt: skip
        body = {"steps": [{"offset_days": 1, "channel": "email", "action": "reminder", **step}]}
        refused(service.client.put("/v1/collections/scenarios/s", json=body, headers=ADMIN), 422, field)


def test_scenario_names_and_step_counts_are_bounded(service: Service, position: int) -> None:
    step = {"offset_days": 1, "channel": "email", "action": "reminder"}
    refused(service.client.put("/v1/collections/scenarios/" + "x" * 101, json={"steps": [step]}, headers=ADMIN), 422,
            "name")  # fmt: skip
    refused(service.client.put("/v1/collections/scenarios/%20s", json={"steps": [step]}, headers=ADMIN), 422, "name")
    many = [{**step, "action": f"a{i}", "offset_days": i} for i in range(51)]
    refused(service.client.put("/v1/collections/scenarios/s", json={"steps": many}, headers=ADMIN), 422, "steps")
    refused(service.client.put("/v1/collections/scenarios/s", json={"steps": []}, headers=ADMIN), 422, "steps")


def test_a_scenario_a_year_before_due_keeps_the_agenda_answering(service: Service, position: int) -> None:
    steps = [{"offset_days": -3650, "channel": "email", "action": "early"},
             {"offset_days": 3650, "channel": "letter", "action": "late"}]  # fmt: skip
    put = service.client.put("/v1/collections/scenarios/far", json={"steps": steps, "risk_classes": list("ABCDE")},
                             headers=ADMIN)  # fmt: skip
    assert put.status_code == 201, put.text
    after = {**BI, "X-O2C-After": str(put.json()["position"])}
    for day in ("1900-01-01", "2026-06-01", "2199-12-31"):
        answer = get(service, "/v1/collections/agenda", after, date=day)
        assert answer.status_code == 200, answer.text
    assert get(service, "/v1/collections/agenda", after, date="2026-06-01").json()["accounts"][0]["items"][0][
        "step"] == "early"  # fmt: skip


@pytest.mark.parametrize("due", [date.min, date(1, 6, 1), date.max])
def test_a_step_date_beyond_the_calendar_does_not_stop_the_agenda(due: date) -> None:
    """Due dates recorded before the business-date window existed."""
    item = CaseInvoice("F-1", due, Decimal(100), Decimal(0), (), (), ())
    for on in (date(1, 1, 1), date(2026, 6, 1), date.max):
        agenda_line(item, (Step(-365, "email", "early"), Step(3650, "letter", "late")), on)
