import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from eoffice.orgs.models import RoleCode
from tests.factories import make_agency, make_person

pytestmark = pytest.mark.django_db


def test_token_obtained_with_password_authenticates_api_requests():
    person = make_person(make_agency(), RoleCode.CLERK, password="mật-khẩu")
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": person.username, "password": "mật-khẩu"})
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=person).key == token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/").json()
    assert me["username"] == person.username
    assert me["roles"] == ["clerk"]
    assert "Văn bản đến" in [item["label"] for item in me["navigation"]]


def test_wrong_token_gets_a_structured_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_api_root_lists_the_collections():
    client = APIClient()
    client.force_authenticate(make_person(make_agency()))
    body = client.get("/api/v1/").json()
    assert {"me", "agencies", "units", "people", "schema", "docs"} <= set(body)


def test_openapi_schema_describes_the_api():
    client = APIClient()
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/people/", "/api/v1/people/{id}/", "/api/v1/me/", "/api/v1/agencies/"} <= set(schema["paths"])
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_api_docs_page_is_served_without_internet_assets():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
