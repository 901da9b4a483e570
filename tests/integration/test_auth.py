"""Tokens and scopes: 401 without a valid token, 403 without the scope."""

from __future__ import annotations

from tests.integration.conftest import AUDITOR, BI, Service, opened


def test_no_token_is_401_with_a_bearer_challenge(service: Service) -> None:
    response = service.client.post("/v1/events", json=opened())
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"


def test_a_wrong_token_is_401_and_records_nothing(service: Service) -> None:
    assert service.post(opened(), headers={"Authorization": "Bearer guess"}).status_code == 401
    assert service.post(opened(), headers={"Authorization": "Basic erp"}).status_code == 401
    assert service.history("C-1001").status_code == 404


def test_a_token_without_the_scope_is_403(service: Service) -> None:
    assert service.post(opened(), headers=BI).status_code == 403
    service.post(opened())
    assert service.client.get("/v1/accounts/C-1001/history", headers=BI).status_code == 403
    assert service.client.get("/v1/accounts/C-1001/history", headers=AUDITOR).status_code == 200


def test_admin_implies_every_scope(service: Service) -> None:
    root = {"Authorization": "Bearer root"}
    assert service.post(opened(), headers=root).status_code == 201
    assert service.client.get("/v1/accounts/C-1001/state", headers=root).status_code == 200


def test_health_and_metrics_need_no_token(service: Service) -> None:
    service.post(opened())
    assert service.client.get("/health").json() == {"status": "ok"}
    assert 'o2c_facts_total{status="recorded"} 1.0' in service.client.get("/metrics").text
