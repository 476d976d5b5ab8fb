"""Hand-built incoming documents for the reports tests: every field that the statistics read is set explicitly."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from eoffice.documents.models import Channel
from eoffice.incoming.models import DocumentStatus, IncomingDocument, WorkItem, WorkKind, WorkStatus
from tests.factories import make_agency, make_person, make_unit

VN = ZoneInfo("Asia/Ho_Chi_Minh")
_numbers = itertools.count(1)


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> dt.datetime:
    """An aware datetime in Vietnam time (the deployment's time zone)."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=VN)


def make_doc(org, *, arrived: dt.datetime, channel: str = Channel.PAPER, deadline: dt.date | None = None,
             due_on: dt.date | None = None, completed: dt.datetime | None = None, lead_unit=None,
             agency=None, status: str | None = None, summary: str = "V/v báo cáo cải cách hành chính",
             handler=None, series_code: str = "den", **extra) -> IncomingDocument:
    agency = agency or org.agency
    n = next(_numbers)
    if status is None:
        status = DocumentStatus.DONE if completed else DocumentStatus.IN_PROGRESS
    document = IncomingDocument.objects.create(
        agency=agency, series_code=series_code, year=arrived.year, arrival_number=n, arrived_at=arrived,
        registered_by=org.clerk, channel=channel, issuer_name="UBND tỉnh Bình Minh",
        number_notation=f"{n}/UBND-VP", issued_on=arrived.date() - dt.timedelta(days=2), summary=summary,
        deadline=deadline, due_on=due_on, completed_at=completed, lead_unit=lead_unit, status=status, **extra)
    if handler is not None:
        give(document, handler, WorkStatus.DONE if completed else WorkStatus.OPEN)
    return document


def give(document, person, status: str = WorkStatus.OPEN, kind: str = WorkKind.HANDLE,
         deadline: dt.date | None = None) -> WorkItem:
    return WorkItem.objects.create(
        document=document, agency_id=document.agency_id, person=person, unit=person.unit, kind=kind, status=status,
        deadline=deadline or document.due_on or document.deadline,
        finished_at=None if status == WorkStatus.OPEN else (document.completed_at or at(2026, 1, 1)))


@pytest.fixture
def org(db):
    agency = make_agency(name="Sở Tư pháp thử", abbreviation="STP")
    lead = make_unit(agency, "PBGDPL", "Phòng Phổ biến, giáo dục pháp luật")
    other = make_unit(agency, "HCTP", "Phòng Hành chính tư pháp")
    vp = make_unit(agency, "VP", "Văn phòng")
    outsider_agency = make_agency(name="Sở Nội vụ thử", abbreviation="SNV")
    return SimpleNamespace(
        agency=agency, lead=lead, other=other, vp=vp, outsider_agency=outsider_agency,
        clerk=make_person(agency, "clerk", unit=vp, email="vanthu@example.test"),
        leader=make_person(agency, "leader", email="giamdoc@example.test"),
        head=make_person(agency, "unit_head", unit=lead, email="truongphong@example.test"),
        other_head=make_person(agency, "unit_head", unit=other, email="truongphong2@example.test"),
        spec1=make_person(agency, "specialist", unit=lead, full_name="Trần Thị An", email="an@example.test"),
        spec2=make_person(agency, "specialist", unit=other, full_name="Lê Văn Bình", email="binh@example.test"),
        outsider=make_person(outsider_agency, "leader"),
    )
