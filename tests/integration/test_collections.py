"""A collector's weeks on one account, over HTTP, with answers worked out by hand.

C-1 follows the scenario `test` (assigned): a pre-reminder 3 days before due,
a reminder 5 days after, a formal notice 15 days after. F-1 (1000.00) is due
2026-03-31, F-2 (400.00) is due 2026-04-10."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import BI, Service, envelope, invoice, opened, payment

ADMIN = {"Authorization": "Bearer root"}
STEPS = [
    {"offset_days": -3, "channel": "email", "action": "pre_reminder"},
    {"offset_days": 5, "channel": "email", "action": "reminder"},
    {"offset_days": 15, "channel": "letter", "action": "formal_notice"},
]


def read(service: Service, url: str, after: int, **params: Any) -> Any:
    response = service.client.get(url, params=params, headers={**BI, "X-O2C-After": str(after)})
    assert response.status_code == 200, response.text
    return response.json() if response.headers["content-type"].startswith("application/json") else response.text


def post(service: Service, *facts: dict[str, Any]) -> int:
    response = service.post({"events": list(facts)})
    assert response.status_code == 201, response.text
    return int(max(r["position"] for r in response.json()["results"]))


def agenda(service: Service, after: int, on: str) -> dict[str, list[tuple[str, str, str]]]:
    """account -> (invoice, step, amount at risk) of the agenda of a day."""
    answer = read(service, "/v1/collections/agenda", after, date=on)
    lines = {a["account"]: a["items"] for a in answer["accounts"]}
    return {code: [(i["invoice_id"], i["step"], i["amount_at_risk"]) for i in items] for code, items in lines.items()}


@pytest.fixture
def account(service: Service) -> int:
    response = service.client.put("/v1/collections/scenarios/test", json={"steps": STEPS}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return post(
        service,
        opened("C-1", credit_limit="5000.00", risk_class="B"),
        envelope("sc-1", "ScenarioAssigned", "C-1", scenario="test"),
        invoice("F-1", "1000.00", "2026-03-01", "2026-03-31", account="C-1"),
        invoice("F-2", "400.00", "2026-03-11", "2026-04-10", account="C-1"),
    )


def test_scenarios_are_versioned_and_kept_for_admins(service: Service, account: int) -> None:
    again = service.client.put("/v1/collections/scenarios/test", json={"steps": STEPS[1:]}, headers=ADMIN)
    assert again.status_code == 200 and again.json()["version"] == 2
    shown = service.client.get("/v1/collections/scenarios/test", headers=ADMIN).json()
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    assert [s["action"] for s in shown["versions"][0]["steps"]] == ["pre_reminder", "reminder", "formal_notice"]
    assert shown["steps"] == STEPS[1:]
    shipped = service.client.get("/v1/collections/scenarios/standard", headers=ADMIN).json()
    assert shipped["shipped"] is True and shipped["risk_classes"] == ["C"]
    assert service.client.get("/v1/collections/scenarios/nope", headers=ADMIN).status_code == 404
    assert service.client.get("/v1/collections/scenarios/test", headers=BI).status_code == 403
    bad = service.client.put("/v1/collections/scenarios/test", json={"steps": [{**STEPS[0], "channel": "fax"}]},
                             headers=ADMIN)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "steps[0].channel"


def test_the_agenda_follows_the_scenario_and_skips_what_is_recorded(service: Service, account: int) -> None:
    assert agenda(service, account, "2026-03-27") == {}
    assert agenda(service, account, "2026-03-28") == {"C-1": [("F-1", "pre_reminder", "1000.00")]}
    # On 04-06 F-1's reminder is due and F-2's pre-reminder was due on 04-07: not yet.
    assert agenda(service, account, "2026-04-06") == {"C-1": [("F-1", "reminder", "1000.00")]}
    last = post(service, envelope("dn-1", "DunningStepRecorded", "C-1", step="reminder", channel="email",
                                  invoice_ids=["F-1"], step_date="2026-04-06"))  # fmt: skip
    assert agenda(service, last, "2026-04-07") == {"C-1": [("F-2", "pre_reminder", "400.00")]}
    # Escalation: on 04-20, F-1's formal notice; F-2's reminder (04-15) never taken, still due.
    assert agenda(service, last, "2026-04-20") == {
        "C-1": [("F-1", "formal_notice", "1000.00"), ("F-2", "reminder", "400.00")]
    }
    answer = read(service, "/v1/collections/agenda", last, date="2026-04-20")["accounts"][0]
    # Priority: amount at risk 1400 x 20 days past due (the oldest) x 1.5 (class B).
    assert (answer["priority"], answer["days_past_due"], answer["formal_notice"]) == ("42000.00", 20, True)
    csv = read(service, "/v1/collections/agenda", last, date="2026-04-20", format="csv")
    assert csv.splitlines()[1].startswith("2026-04-20,1,C-1,")


def test_disputes_promises_and_plans_take_invoices_off_the_agenda(service: Service, account: int) -> None:
    last = post(
        service,
        envelope("d-1", "DisputeOpened", "C-1", dispute_id="D-1", invoice_id="F-1", amount="300.00",
                 reason="damaged", opened_date="2026-04-01"),
        envelope("pp-1", "PaymentPlanAgreed", "C-1", plan_id="PL-1", invoice_ids=["F-2"], agreed_date="2026-04-12",
                 installments=[{"due_date": "2026-04-30", "amount": "200.00"},
                               {"due_date": "2026-05-31", "amount": "200.00"}]),
    )  # fmt: skip
    assert agenda(service, last, "2026-04-20") == {"C-1": [("F-1", "formal_notice", "700.00")]}
    promise = envelope("pr-1", "PromiseToPay", "C-1", promise_id="PR-1", amount="700.00",
                       promised_date="2026-04-30", invoice_ids=["F-1"], promise_date="2026-04-21")  # fmt: skip
    last = post(service, promise)
    assert agenda(service, last, "2026-04-25") == {}
    # The plan's first installment is paid on time; the promise is not kept.
    last = post(service, payment("P-1", "200.00", "2026-04-29", [("F-2", "200.00")], account="C-1"))
    assert agenda(service, last, "2026-05-01") == {"C-1": [("F-1", "formal_notice", "700.00")]}
    # The second installment is missed: F-2 is back, at its original schedule's last step.
    assert agenda(service, last, "2026-06-01") == {
        "C-1": [("F-1", "formal_notice", "700.00"), ("F-2", "formal_notice", "200.00")]
    }
    alerts = read(service, "/v1/alerts", last, account="C-1", type="promise_broken")["alerts"]
    assert sorted(a["subject"] for a in alerts) == ["plan:PL-1", "promise:PR-1"]
    assert all(a["cleared_at"] is None for a in alerts)
    # Settling the promise's invoice clears its alert.
    last = post(service, payment("P-2", "1000.00", "2026-06-02", [("F-1", "1000.00")], account="C-1"))
    alerts = read(service, "/v1/alerts", last, account="C-1", type="promise_broken", status="open")["alerts"]
    assert [a["subject"] for a in alerts] == ["plan:PL-1"]


def test_credit_check_holds_on_a_formal_notice_and_on_class_e(service: Service, account: int) -> None:
    def check(after: int) -> list[str]:
        response = service.client.post("/v1/credit-check", json={"account": "C-1", "amount": "10.00"},
                                       headers={**BI, "X-O2C-After": str(after)})  # fmt: skip
        assert response.status_code == 200, response.text
        reasons: list[str] = response.json()["reasons"]
        return [r for r in reasons if not r.startswith("past_due")]

    assert check(account) == []
    last = post(service, envelope("fn-1", "DunningStepRecorded", "C-1", step="formal_notice", channel="letter",
                                  invoice_ids=["F-2"], step_date="2026-04-25"))  # fmt: skip
    assert check(last) == ["formal_notice_open"]
    last = post(service, envelope("rc-1", "RiskClassChanged", "C-1", risk_class="E", reason="receivership"),
                payment("P-1", "400.00", "2026-05-01", [("F-2", "400.00")], account="C-1"))  # fmt: skip
    assert check(last) == ["risk_class_E"]
    summary = read(service, "/v1/accounts/C-1", last)
    assert summary["risk"]["class"] == "E" and summary["risk"]["set_by"] == "credit_manager"


def test_collection_facts_are_checked_and_kept_in_history(service: Service, account: int) -> None:
    bad = service.post(envelope("dn-x", "DunningStepRecorded", "C-1", step="reminder", channel="fax",
                                invoice_ids=["F-1"]))  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "data.channel"
    unknown = service.post(envelope("pr-x", "PromiseToPay", "C-1", promise_id="PR-X", amount="10.00",
                                    promised_date="2026-05-01", invoice_ids=["F-9"]))  # fmt: skip
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "data.invoice_ids[0]"
    too_much = service.post(envelope("pr-y", "PromiseToPay", "C-1", promise_id="PR-Y", amount="5000.00",
                                     promised_date="2026-05-01", invoice_ids=["F-1"]))  # fmt: skip
    assert too_much.status_code == 422 and too_much.json()["errors"][0]["field"] == "data.amount"
    history = service.history("C-1").json()["events"]
    assert [e["type"] for e in history][:2] == ["AccountOpened", "ScenarioAssigned"]
    assert "PromiseToPay" not in {e["type"] for e in history}
    before = history[-1]["recorded_at"]
    post(service, envelope("pr-1", "PromiseToPay", "C-1", promise_id="PR-1", amount="400.00",
                           promised_date="2026-05-01", invoice_ids=["F-1"], promise_date="2026-04-20"))  # fmt: skip
    assert service.history("C-1").json()["events"][-1]["data"]["promise_id"] == "PR-1"
    # What we knew then, and what the books said on a date before the promise.
    assert service.state("C-1", known_at=before).json()["collections"]["promises"] == []
    now = service.state("C-1").json()["collections"]
    assert (now["scenario"], [p["promise_id"] for p in now["promises"]]) == ("test", ["PR-1"])
    assert service.state("C-1", as_of="2026-04-19").json()["collections"]["promises"] == []
