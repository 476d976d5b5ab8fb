"""The audit trail names a secret document by kind and id only, and the audit view shows an agency administrator
(not named on it) who did what and when, never its number, summary or the texts of its steps."""

from __future__ import annotations

from django.contrib.auth.models import Permission

from eoffice.audit.models import AuditRecord
from eoffice.orgs.models import RoleCode
from tests.factories import make_incoming, make_office, make_person

SECRET_NOTATION = "88/M-CA"
INSTRUCTION = "Giao phòng chủ trì phương án bảo vệ"


def _admin(office):
    admin = make_person(office.agency, RoleCode.ADMIN, unit=office.vp, is_staff=True)
    admin.user_permissions.set(Permission.objects.filter(codename="view_auditrecord"))
    return admin


def test_a_secret_documents_audit_records_do_not_name_it_to_the_agency_administrator(db, client):
    office = make_office()
    secret = make_incoming(office.clerk, "V/v phương án bảo vệ mục tiêu", number_notation=SECRET_NOTATION,
                           confidentiality="mat", route_to=office.lead, instruction=INSTRUCTION)
    records = AuditRecord.objects.filter(object_type="incoming.incomingdocument", object_id=str(secret.pk))
    assert records.exists()
    assert not any(SECRET_NOTATION in r.object_repr for r in records)
    client.force_login(_admin(office))
    listing = client.get("/quan-tri/audit/auditrecord/").content.decode()
    assert "incoming.registered" in listing and SECRET_NOTATION not in listing
    instructed = records.get(action="incoming.instructed")
    assert INSTRUCTION in str(instructed.data)  # kept in the trail, for those who may see the document
    page = client.get(f"/quan-tri/audit/auditrecord/{instructed.pk}/change/").content.decode()
    assert INSTRUCTION not in page and "văn bản mật" in page
    found = client.get("/quan-tri/audit/auditrecord/", {"q": SECRET_NOTATION})
    assert found.context["cl"].result_count == 0  # no search by what the administrator may not read


def test_an_ordinary_documents_records_still_show_it(db, client):
    office = make_office()
    make_incoming(office.clerk, number_notation="5/UBND", route_to=office.lead, instruction=INSTRUCTION)
    client.force_login(_admin(office))
    listing = client.get("/quan-tri/audit/auditrecord/").content.decode()
    assert "5/UBND" in listing
