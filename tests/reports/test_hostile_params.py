"""Hostile report parameters are a clear 400, never a 500: dates out of range, ids that are not numbers or do not
fit 64 bits (issue 13, "Hostile input never becomes a 500")."""

from __future__ import annotations

import pytest
from django.urls import reverse


@pytest.mark.parametrize("params", [
    {"from": "0001-01-01", "to": "0001-01-02"},
    {"from": "9999-12-31"},
    {"to": "9999-12-31"},
    {"from": "2026-01-01", "to": "9999-12-31"},
])
def test_statistics_api_refuses_dates_out_of_range_with_a_structured_400(client, org, params):
    client.force_login(org.leader)
    response = client.get("/api/v1/reports/incoming-statistics/", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_date"


@pytest.mark.parametrize("name", ["unit", "person", "agency"])
def test_statistics_api_refuses_an_id_beyond_64_bits_with_a_structured_400(client, org, name):
    client.force_login(org.leader)
    response = client.get("/api/v1/reports/incoming-statistics/", {name: str(2**64)})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("params", [{"don_vi": "abc"}, {"nguoi": "x1"}, {"don_vi": str(2**70)},
                                    {"tu": "0001-01-01"}])
def test_report_page_answers_a_malformed_unit_or_date_with_a_vietnamese_error_not_a_500(client, org, params):
    client.force_login(org.leader)
    response = client.get(reverse("module-reports"), params)
    assert response.status_code == 400
    assert response.context["error"]
