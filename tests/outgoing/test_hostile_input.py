"""Hostile input to the outgoing pages and API is a clear 400, never a 500 (issue 13): ids beyond 64 bits,
CR/LF in the register's series (it must never reach a response header), bounded lists."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

HUGE = str(2**64 + 7)


def api(person) -> APIClient:
    client = APIClient()
    client.force_authenticate(person)
    return client


def test_issue_batch_api_refuses_an_id_beyond_64_bits_with_a_structured_400(province):
    response = api(province.clerk).post("/api/v1/outgoing-documents/issue-batch/",
                                        {"documents": [int(HUGE)]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_issue_batch_page_refuses_an_id_beyond_64_bits_with_a_message(client, province):
    client.force_login(province.clerk)
    response = client.post(reverse("outgoing-issue-batch"), {"documents": [HUGE]}, follow=True)
    assert response.status_code == 200
    assert "Mã không hợp lệ." in [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize("ids", [HUGE, f"1,{HUGE}", "1,abc", "-3"])
def test_batch_status_refuses_malformed_or_huge_ids_with_a_structured_400(client, province, ids):
    client.force_login(province.clerk)
    response = client.get(reverse("outgoing-batch-status"), {"ids": ids})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_id"


@pytest.mark.parametrize("output", ["pdf", "xlsx"])
def test_register_page_refuses_a_series_with_cr_lf_and_no_header_carries_it(client, province, output):
    client.force_login(province.clerk)
    response = client.get(reverse("outgoing-register"), {"series": "di\r\nSet-Cookie: x=1", "output": output})
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers and "x=1" not in str(response.headers)


@pytest.mark.parametrize("output", ["pdf", "xlsx"])
def test_register_api_refuses_a_series_with_cr_lf_with_a_structured_400(province, output):
    response = api(province.clerk).get("/api/v1/outgoing-register/",
                                       {"series": "di\r\nX-Injected: 1", "output": output})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_code"
    assert "X-Injected" not in response.headers


def test_register_api_still_answers_the_ordinary_series_with_a_safe_file_name(province):
    response = api(province.clerk).get("/api/v1/outgoing-register/", {"series": "di", "output": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="so-van-ban-di-di-')


def test_a_huge_path_id_is_a_404_not_a_500(province):
    assert api(province.clerk).get(f"/api/v1/outgoing-documents/{HUGE}/").status_code == 404
