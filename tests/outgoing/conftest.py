"""Fixtures for outgoing dispatches: the demo province, keys for the people who sign, realistic drafts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from eoffice.documents.models import DocumentType
from eoffice.orgs.models import Agency, Person, Unit


@dataclass
class Province:
    stp: Agency
    dongson: Agency
    specialist: Person  # chuyenvien.stp, Phòng PBGDPL
    specialist2: Person
    unit_head: Person  # truongphong.stp, head of PBGDPL
    office_head: Person  # chanhvanphong.stp, head of VP
    director: Person  # giamdoc.stp
    deputy: Person
    clerk: Person  # vanthu.stp
    district_clerk: Person  # vanthu.dongson
    pbgdpl: Unit
    vp: Unit
    hctp: Unit

    def type(self, code: str) -> DocumentType:
        return DocumentType.objects.get(code=code)


def person(username: str) -> Person:
    return Person.objects.select_related("agency", "unit", "position").get(username=username)


@pytest.fixture
def province(db) -> Province:
    from eoffice.demo.province import load_demo
    from eoffice.documents.services import ensure_document_types

    ensure_document_types()  # a transactional test flushed the seeded code table
    load_demo()
    stp = Agency.objects.get(abbreviation="STP")
    return Province(
        stp=stp,
        dongson=person("vanthu.dongson").agency,
        specialist=person("chuyenvien.stp"),
        specialist2=person("chuyenvien2.stp"),
        unit_head=person("truongphong.stp"),
        office_head=person("chanhvanphong.stp"),
        director=person("giamdoc.stp"),
        deputy=person("phogiamdoc.stp"),
        clerk=person("vanthu.stp"),
        district_clerk=person("vanthu.dongson"),
        pbgdpl=Unit.objects.get(agency=stp, abbreviation="PBGDPL"),
        vp=Unit.objects.get(agency=stp, abbreviation="VP"),
        hctp=Unit.objects.get(agency=stp, abbreviation="HCTP"),
    )


@pytest.fixture
def keys(dev_pki_settings, dev_pki, province: Province) -> Province:
    """Software key stores for the people who sign and the seals of the agencies involved."""
    from eoffice.documents.keyring import subjects_for

    people = [province.director, province.deputy, province.clerk]
    dev_pki.ensure(subjects_for(people, [province.stp, province.dongson]))
    return province


def draft_pdf(signer: Person, *, position: str | None = None, summary: str = "đề nghị phối hợp tuyên truyền "
              "pháp luật về chuyển đổi số", type_name: str | None = None, capacity: str | None = None) -> bytes:
    """A Decree 30 draft of the Sở Tư pháp, unnumbered (the clerk numbers it after the leader signs)."""
    from signing.documents import OfficialDocument, render_document

    return render_document(OfficialDocument(
        agency="Sở Tư pháp tỉnh Bình Minh", superior_agency="Ủy ban nhân dân tỉnh Bình Minh", summary=summary,
        type_name=type_name, body=[
            "Thực hiện Kế hoạch phổ biến, giáo dục pháp luật năm 2026 của Ủy ban nhân dân tỉnh, Sở Tư pháp đề nghị "
            "Ủy ban nhân dân huyện Đông Sơn phối hợp tổ chức tuyên truyền pháp luật về chuyển đổi số.",
            "Đề nghị Ủy ban nhân dân huyện báo cáo kết quả thực hiện về Sở Tư pháp trước ngày 15 tháng 12.",
        ],
        signer_name=signer.get_full_name(), signer_position=position or str(signer.position),
        signer_capacity=capacity, addressees=["Ủy ban nhân dân huyện Đông Sơn"],
        recipients=["Như trên", "Giám đốc Sở (b/c)", "Lưu: VT, PBGDPL"],
    ))
