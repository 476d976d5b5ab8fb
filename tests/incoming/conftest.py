"""Fixtures for incoming dispatches: one agency with a clerk, leaders, units, heads and specialists."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from eoffice.documents.services import ensure_document_types
from eoffice.incoming.services import ReceiptMetadata
from tests.factories import make_agency, make_person, make_unit


def sample_pdf_bytes(text: str = "Văn bản mẫu") -> bytes:
    from tests.fixtures_pki import make_sample_pdf

    return make_sample_pdf((text,))


def metadata(**overrides) -> ReceiptMetadata:
    values = dict(issuer_name="UBND tỉnh Bình Minh", number_notation="123/UBND-VP", issued_on=dt.date(2026, 3, 2),
                  summary="V/v triển khai cải cách hành chính năm 2026", document_type="cong-van",
                  signer_name="Lê Hoàng Đức", signer_position="Chủ tịch")
    values.update(overrides)
    return ReceiptMetadata(**values)


@pytest.fixture
def office(db):
    ensure_document_types()
    agency = make_agency(name="Sở Tư pháp thử", abbreviation="STP")
    vp = make_unit(agency, "VP")
    lead = make_unit(agency, "PBGDPL")
    support = make_unit(agency, "HCTP")
    other = make_agency(name="Sở Nội vụ thử", abbreviation="SNV")
    ns = SimpleNamespace(
        agency=agency, vp=vp, lead=lead, support=support, other_agency=other,
        clerk=make_person(agency, "clerk", unit=vp),
        leader=make_person(agency, "leader"),
        deputy=make_person(agency, "deputy_leader"),
        chief=make_person(agency, "unit_head", unit=vp),
        head=make_person(agency, "unit_head", unit=lead),
        specialist=make_person(agency, "specialist", unit=lead),
        specialist2=make_person(agency, "specialist", unit=lead),
        support_head=make_person(agency, "unit_head", unit=support),
        bystander=make_person(agency, "specialist", unit=support),
        outsider_clerk=make_person(other, "clerk"),
        outsider_leader=make_person(other, "leader"),
    )
    return ns


@pytest.fixture
def pdf() -> bytes:
    return sample_pdf_bytes()
