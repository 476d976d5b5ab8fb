"""Demo documents: a working day in the Sở Tư pháp of the demo province, made through the real services.

:func:`load_demo_documents` fills the demo province (:mod:`eoffice.demo.province`, loaded first) with documents in
every state a person trying the product should find, each made by the service functions a person's clicks would
call, so that numbering, the audit trail, the flows, signatures and search indexing are the real ones:

* eight incoming dispatches to the Sở Tư pháp from other agencies of the province, rendered in the Decree 30
  layout with text of ``signing/dev/corpus``, signed by the issuing agency's leader and sealed by the agency (their
  signatures validate as "Hợp lệ"), delivered to the Sở's receipt queue (:func:`eoffice.incoming.services.receive`)
  and taken to their stage: two waiting for the clerk, one registered and waiting for the director's instruction,
  one instructed to Phòng PBGDPL and waiting for its head to assign it, two being handled by ``chuyenvien.stp``
  (one urgent, with the deputy director informed), one overdue, one done;
* three outgoing documents drafted by ``chuyenvien.stp``: one waiting for the head of PBGDPL to check it, one
  waiting for the director's signature, one signed, numbered, sealed and released to UBND huyện Đông Sơn, delivered
  at once (:func:`eoffice.outgoing.services.deliver`) so that ``vanthu.dongson`` finds it in the receipt queue;
* the PBGDPL file (hồ sơ) of the current year, with three of those documents filed in it.

Idempotent: every scenario runs in one transaction and leaves a marker (an incoming dispatch: its receipt's
``source``/``source_ref`` = ``demo``/its key; an outgoing document: the audit action :data:`MARKER_ACTION` with its
key; the file: its year and code); a scenario whose marker exists is skipped before anything is signed, so a second
run creates nothing and takes well under a second.

Signing needs the development PKI's keys (:func:`eoffice.documents.keyring.ensure_dev_keys`) and its OCSP/CRL/TSA services
(``manage.py load_demo_documents`` starts them for its own duration when they are not running).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from eoffice.audit.models import AuditRecord
from eoffice.audit.services import record
from eoffice.documents.models import Channel, DocumentType, Urgency
from eoffice.orgs.models import Agency, Person, Unit

logger = logging.getLogger(__name__)

SOURCE = "demo"  # the receipts' ``source``: the marker of the demo incoming dispatches
MARKER_ACTION = "demo.document_loaded"  # audit action marking an outgoing demo document (data: {"key": ...})
SHOWCASE_AGENCY = "000.00.05.H99"  # Sở Tư pháp
DONG_SON = "000.00.21.H99"
TAY_HOA = "000.00.22.H99"
PROVINCE_COMMITTEE = "000.00.00.H99"

# Who acts, in the Sở Tư pháp (usernames of eoffice.demo.province).
CLERK, DIRECTOR, DEPUTY = "vanthu.stp", "giamdoc.stp", "phogiamdoc.stp"
UNIT_HEAD, SPECIALIST = "truongphong.stp", "chuyenvien.stp"
UNIT = "PBGDPL"
FILE_CODE = "01.PBGDPL"
FILE_RETENTION = "10-nam"

# Stages of an incoming dispatch, in the order the flow reaches them.
WAITING, REGISTERED, ASSIGNED, HANDLING, DONE = "waiting", "registered", "assigned", "handling", "done"
_STAGES = (WAITING, REGISTERED, ASSIGNED, HANDLING, DONE)


@dataclass(frozen=True)
class IncomingScenario:
    key: str  # the receipt's source_ref (marker)
    issuer: str  # code of the issuing agency
    signer: str  # username of the issuing agency's leader
    type_code: str
    notation: str  # the issuer's number/notation
    summary: str
    intro: str  # the first paragraph (the rest comes from the corpus)
    stage: str
    days_ago: int  # issued that many days before today
    deadline_days: int | None = None  # the sender's deadline, relative to today (negative: overdue)
    urgency: str = Urgency.NORMAL
    instruct_days: int | None = None  # the director's deadline, relative to today
    inform_deputy: bool = False
    file_it: bool = False  # filed in the PBGDPL file


@dataclass(frozen=True)
class OutgoingScenario:
    key: str
    type_code: str
    summary: str
    intro: str
    stage: str  # "in_review", "to_sign", "released"
    recipients: tuple[str, ...]  # agency codes
    addressees: tuple[str, ...]
    urgency: str = Urgency.NORMAL


INCOMING: tuple[IncomingScenario, ...] = (
    IncomingScenario(
        "den-01", PROVINCE_COMMITTEE, "chutich.tinh", "ke-hoach", "215/KH-UBND",
        "Phổ biến, giáo dục pháp luật năm {year} trên địa bàn tỉnh",
        "Thực hiện Luật Phổ biến, giáo dục pháp luật, Ủy ban nhân dân tỉnh ban hành Kế hoạch phổ biến, giáo dục "
        "pháp luật năm {year}; giao Sở Tư pháp chủ trì, hướng dẫn, đôn đốc các sở, ngành, địa phương thực hiện.",
        DONE, days_ago=12, file_it=True,
    ),
    IncomingScenario(
        "den-02", "000.00.06.H99", "giamdoc.snv", "cong-van", "1187/SNV-CCHC",
        "báo cáo kết quả cải cách hành chính quý III năm {year}",
        "Để tổng hợp, báo cáo Ủy ban nhân dân tỉnh kết quả cải cách hành chính quý III năm {year}, Sở Nội vụ đề "
        "nghị Sở Tư pháp báo cáo kết quả thực hiện các nhiệm vụ được giao, trong đó có nội dung cải cách thể chế.",
        HANDLING, days_ago=8, deadline_days=12, file_it=True,
    ),
    IncomingScenario(
        "den-03", "000.00.10.H99", "giamdoc.stttt", "cong-van", "642/STTTT-CNTT",
        "triển khai gửi, nhận văn bản điện tử có ký số",
        "Thực hiện Quyết định của Ủy ban nhân dân tỉnh về gửi, nhận văn bản điện tử giữa các cơ quan trong hệ "
        "thống hành chính nhà nước, Sở Thông tin và Truyền thông đề nghị các sở, ban, ngành thực hiện như sau:",
        HANDLING, days_ago=4, deadline_days=5, urgency=Urgency.URGENT, inform_deputy=True,
    ),
    IncomingScenario(
        "den-04", TAY_HOA, "chutich.tayhoa", "bao-cao", "96/BC-UBND",
        "Kết quả công tác hòa giải ở cơ sở năm {year}",
        "Thực hiện văn bản của Sở Tư pháp, Ủy ban nhân dân huyện Tây Hòa báo cáo kết quả công tác hòa giải ở cơ "
        "sở và xây dựng xã, thị trấn đạt chuẩn tiếp cận pháp luật năm {year} như sau:",
        HANDLING, days_ago=20, deadline_days=-3,
    ),
    IncomingScenario(
        "den-05", "000.00.12.H99", "giamdoc.skhdt", "cong-van", "2034/SKHĐT-TH",
        "phối hợp tuyên truyền pháp luật về đầu tư cho doanh nghiệp",
        "Để hỗ trợ doanh nghiệp nắm bắt các quy định mới về đầu tư, Sở Kế hoạch và Đầu tư đề nghị Sở Tư pháp "
        "phối hợp tổ chức tuyên truyền, phổ biến pháp luật về đầu tư cho doanh nghiệp trên địa bàn tỉnh.",
        ASSIGNED, days_ago=5, instruct_days=15,
    ),
    IncomingScenario(
        "den-06", DONG_SON, "chutich.dongson", "cong-van", "318/UBND-TP",
        "đề nghị hướng dẫn nghiệp vụ chứng thực bản sao điện tử",
        "Trong quá trình thực hiện chứng thực bản sao điện tử từ bản chính, Ủy ban nhân dân huyện Đông Sơn gặp một "
        "số vướng mắc; đề nghị Sở Tư pháp hướng dẫn nghiệp vụ để các xã, thị trấn thực hiện thống nhất.",
        REGISTERED, days_ago=2, deadline_days=20,
    ),
    IncomingScenario(
        "den-07", PROVINCE_COMMITTEE, "chutich.tinh", "thong-bao", "402/TB-UBND",
        "Kết luận của Chủ tịch Ủy ban nhân dân tỉnh tại buổi làm việc với Sở Tư pháp",
        "Vừa qua, Chủ tịch Ủy ban nhân dân tỉnh làm việc với Sở Tư pháp về tình hình thực hiện "
        "nhiệm vụ năm {year}. Sau khi nghe báo cáo và ý kiến các đại biểu, Chủ tịch Ủy ban nhân dân tỉnh kết luận:",
        WAITING, days_ago=1,
    ),
    IncomingScenario(
        "den-08", "000.00.06.H99", "giamdoc.snv", "giay-moi", "157/GM-SNV",
        "Dự hội nghị tập huấn công tác văn thư, lưu trữ năm {year}",
        "Sở Nội vụ trân trọng kính mời đại diện lãnh đạo và công chức làm công tác văn thư, lưu trữ của Sở Tư "
        "pháp dự hội nghị tập huấn nghiệp vụ văn thư, lưu trữ và quản lý văn bản điện tử.",
        WAITING, days_ago=0, urgency=Urgency.URGENT,
    ),
)

OUTGOING: tuple[OutgoingScenario, ...] = (
    OutgoingScenario(
        "di-01", "cong-van", "phối hợp tổ chức Ngày Pháp luật Việt Nam năm {year}",
        "Thực hiện Kế hoạch phổ biến, giáo dục pháp luật năm {year} của Ủy ban nhân dân tỉnh, Sở Tư pháp đề nghị Ủy "
        "ban nhân dân huyện Đông Sơn phối hợp tổ chức các hoạt động hưởng ứng Ngày Pháp luật Việt Nam năm {year}.",
        "released", (DONG_SON,), ("Ủy ban nhân dân huyện Đông Sơn",),
    ),
    OutgoingScenario(
        "di-02", "ke-hoach", "Tuyên truyền, phổ biến pháp luật về chuyển đổi số năm {next_year}",
        "Thực hiện Chương trình chuyển đổi số của tỉnh, Sở Tư pháp xây dựng Kế hoạch tuyên truyền, phổ biến pháp "
        "luật về chuyển đổi số năm {next_year} với các nội dung sau:",
        "to_sign", (DONG_SON, TAY_HOA), (),
    ),
    OutgoingScenario(
        "di-03", "bao-cao", "Kết quả công tác phổ biến, giáo dục pháp luật năm {year}",
        "Thực hiện Kế hoạch số 215/KH-UBND của Ủy ban nhân dân tỉnh, Sở Tư pháp báo cáo kết quả công tác phổ "
        "biến, giáo dục pháp luật năm {year} như sau:",
        "in_review", (PROVINCE_COMMITTEE,), (),
    ),
)


# --------------------------------------------------------------------------------------------------- helpers
def _t(text: str) -> str:
    """Scenario text for this year ("{year}", "{next_year}")."""
    year = timezone.localdate().year
    return text.format(year=year, next_year=year + 1)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _person(username: str) -> Person:
    return Person.objects.select_related("agency", "agency__parent", "unit", "position").get(username=username)


def _body(intro: str, seed: str, closing: str, paragraphs: int = 3) -> list[str]:
    from signing.dev.samples import corpus_paragraphs

    corpus = corpus_paragraphs()
    rng = random.Random(seed)
    start = rng.randrange(len(corpus))
    return [intro, *(corpus[(start + i) % len(corpus)] for i in range(paragraphs)), closing]


def _superior(agency: Agency) -> str | None:
    """The superior agency printed above a department's name (a People's Committee prints none)."""
    if agency.parent_id and agency.kind == "department":
        return agency.parent.name
    return None


def _capacity(agency: Agency) -> str | None:
    return "TM. Ủy ban nhân dân" if agency.abbreviation == "UBND" else None


def _sender_pdf(scenario: IncomingScenario, issuer: Agency, signer: Person, recipient: Agency,
                issued: date) -> bytes:
    """The issuing agency's dispatch: rendered, signed by its leader, sealed (B-T when a TSA is running)."""
    from eoffice.documents.keyring import person_key_source, seal_key_source
    from signing import pades
    from signing.documents import OfficialDocument, render_document
    from signing.images import seal_image, signature_image
    from signing.ltv import get_timestamper

    doc_type = DocumentType.objects.get(code=scenario.type_code)
    position = str(signer.position)
    document = OfficialDocument(
        agency=issuer.name, superior_agency=_superior(issuer), summary=_t(scenario.summary),
        type_name=None if scenario.type_code == "cong-van" else doc_type.name,
        body=_body(_t(scenario.intro), scenario.key, "Đề nghị các cơ quan, đơn vị quan tâm, phối hợp thực hiện."),
        signer_name=signer.get_full_name(), signer_position=position, signer_capacity=_capacity(issuer),
        notation=scenario.notation, place=issuer.place_name or "Bình Minh", issued=issued,
        addressees=[recipient.name] if scenario.type_code in ("cong-van", "giay-moi") else [],
        recipients=["Như trên" if scenario.type_code in ("cong-van", "giay-moi") else recipient.name,
                    "Lãnh đạo cơ quan", "Lưu: VT"],
    )
    timestamper = get_timestamper()
    pdf = pades.sign_person(render_document(document), person_key_source(signer), name=signer.get_full_name(),
                            position=position, signature_image=signature_image(signer.get_full_name()),
                            timestamper=timestamper)
    superior = issuer.parent.name if issuer.parent_id else None
    return pades.sign_seal(pdf, seal_key_source(issuer), agency_name=issuer.name,
                           seal_image=seal_image(issuer.name, superior_name=superior), timestamper=timestamper)


def _draft_pdf(scenario: OutgoingScenario, agency: Agency, signer: Person) -> bytes:
    """The specialist's draft: unnumbered, undated, the director's signature block left blank."""
    from signing.documents import OfficialDocument, render_document

    doc_type = DocumentType.objects.get(code=scenario.type_code)
    recipients = list(Agency.objects.filter(code__in=scenario.recipients).values_list("name", flat=True))
    return render_document(OfficialDocument(
        agency=agency.name, superior_agency=_superior(agency), summary=_t(scenario.summary),
        type_name=None if scenario.type_code == "cong-van" else doc_type.name,
        body=_body(_t(scenario.intro), scenario.key, "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị "
                   "phản ánh về Sở Tư pháp (qua Phòng Phổ biến, giáo dục pháp luật) để được hướng dẫn."),
        signer_name=signer.get_full_name(), signer_position=str(signer.position),
        place=agency.place_name or "Bình Minh", addressees=list(scenario.addressees),
        recipients=[*(["Như trên"] if scenario.addressees else recipients), "Giám đốc Sở (b/c)", "Lưu: VT, PBGDPL"],
    ))


def _open_item(document, person: Person, kind: str):
    from eoffice.incoming.models import WorkItem, WorkStatus

    return WorkItem.objects.get(document=document, person=person, kind=kind, status=WorkStatus.OPEN)


def _start_of_year(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


def _case_file(stp: Agency, created: dict[str, int]):
    """The PBGDPL file of the current year (opened by the unit head), found by its year and code."""
    from eoffice.archive.models import CaseFile, RetentionPeriod
    from eoffice.archive.services import ensure_retention_periods, open_file

    year = timezone.localdate().year
    existing = CaseFile.objects.filter(agency=stp, year=year, code=FILE_CODE).first()
    if existing is not None:
        return existing
    ensure_retention_periods()
    head = _person(UNIT_HEAD)
    created["files"] += 1
    return open_file(head, unit=head.unit, year=year, code=FILE_CODE,
                     title=f"Hồ sơ tuyên truyền, phổ biến, giáo dục pháp luật năm {year}",
                     retention=RetentionPeriod.objects.get(code=FILE_RETENTION))


# --------------------------------------------------------------------------------------------------- scenarios
def _incoming(scenario: IncomingScenario, stp: Agency, case_file, today: date, now: datetime) -> None:
    from eoffice.archive.services import file_document
    from eoffice.incoming import services as incoming
    from eoffice.incoming.models import WorkKind

    issuer = Agency.objects.select_related("parent").get(code=scenario.issuer)
    signer = _person(scenario.signer)
    issued = today - timedelta(days=scenario.days_ago)
    pdf = _sender_pdf(scenario, issuer, signer, stp, issued)  # signed before the transaction: no lock held
    deadline = today + timedelta(days=scenario.deadline_days) if scenario.deadline_days is not None else None
    metadata = incoming.ReceiptMetadata(
        issuer_name=issuer.name, issuer_agency=issuer, number_notation=scenario.notation, issued_on=issued,
        summary=_sentence(_t(scenario.summary)), document_type=scenario.type_code,
        place_of_issue=issuer.place_name, signer_name=signer.get_full_name(), signer_position=str(signer.position),
        signer_capacity=_capacity(issuer) or "", recipients_text=stp.name, urgency=scenario.urgency,
        deadline=deadline,
    )
    stage = _STAGES.index(scenario.stage)
    clerk, director = _person(CLERK), _person(DIRECTOR)
    head, specialist = _person(UNIT_HEAD), _person(SPECIALIST)
    with transaction.atomic():
        name = f"{scenario.notation.replace('/', '-')}.pdf"
        receipt = incoming.receive(stp, files=[(name, pdf)], metadata=metadata, channel=Channel.INTERNAL,
                                   source=SOURCE, source_ref=scenario.key)
        if stage < _STAGES.index(REGISTERED):
            return
        # Arrived the day after it was issued (today at the latest), within this year's register.
        arrived = max(now - timedelta(days=max(scenario.days_ago - 1, 0)), _start_of_year(now))
        document = incoming.register_incoming(clerk, receipt=receipt, arrived_at=arrived, present_to=director)
        if stage < _STAGES.index(ASSIGNED):
            return
        instruct_deadline = (today + timedelta(days=scenario.instruct_days)
                             if scenario.instruct_days is not None else None)
        incoming.instruct(
            _open_item(document, director, WorkKind.INSTRUCT), director,
            text="Giao Phòng Phổ biến, giáo dục pháp luật chủ trì tham mưu xử lý; báo cáo kết quả trước hạn.",
            lead_unit=head.unit, info_people=[_person(DEPUTY)] if scenario.inform_deputy else [],
            deadline=instruct_deadline,
        )
        if stage < _STAGES.index(HANDLING):
            return
        incoming.assign_handlers(_open_item(document, head, WorkKind.ASSIGN), head, main_handler=specialist,
                                 note="Đồng chí Bình nghiên cứu, tham mưu văn bản trả lời, trình trước hạn.")
        if stage < _STAGES.index(DONE):
            if scenario.file_it:
                file_document(head, case_file, "incoming", document.pk)
            return
        incoming.finish_handling_and_file(
            _open_item(document, specialist, WorkKind.HANDLE), specialist,
            result="Đã tham mưu triển khai kế hoạch trong toàn ngành; lưu hồ sơ công việc.",
            case_file=case_file if scenario.file_it else None,
        )


def _outgoing(scenario: OutgoingScenario, stp: Agency, case_file) -> None:
    from eoffice.outgoing import services as outgoing
    from eoffice.outgoing.models import DeliveryKind

    drafter, head, director, clerk = (_person(SPECIALIST), _person(UNIT_HEAD), _person(DIRECTOR),
                                      _person(CLERK))
    pdf = _draft_pdf(scenario, stp, director)
    with transaction.atomic():
        document = outgoing.create_draft(
            drafter, document_type=DocumentType.objects.get(code=scenario.type_code),
            summary=_sentence(_t(scenario.summary)), signer=director,
            file=(f"du-thao-{scenario.key}.pdf", pdf), urgency=scenario.urgency,
            recipient_agencies=list(Agency.objects.filter(code__in=scenario.recipients)),
        )
        outgoing.submit(document, drafter)
        if scenario.stage != "in_review":
            outgoing.review(document, head, approve=True, comment="Nội dung, thể thức phù hợp; trình Giám đốc ký.")
        if scenario.stage == "released":
            outgoing.sign(document, director)
            outgoing.issue(document, clerk)
            document = outgoing.release(document, clerk, case_file=case_file)
            # The worker would deliver it within seconds of starting; delivering here (the same idempotent
            # service the task calls) puts it in the recipients' receipt queues whether the worker runs or not.
            for delivery in document.deliveries.filter(kind=DeliveryKind.AGENCY):
                outgoing.deliver(delivery.pk)
        record(MARKER_ACTION, obj=document, agency=stp, data={"key": scenario.key})


def _outgoing_done(keys: list[str]) -> set[str]:
    return set(AuditRecord.objects.filter(action=MARKER_ACTION, data__key__in=keys)
               .values_list("data__key", flat=True))


def load_demo_documents() -> dict[str, int]:
    """Create the demo documents that are missing (see the module docstring); returns what was created, per kind.

    Needs the demo province (:func:`eoffice.demo.province.load_demo`), the development keys
    (:func:`eoffice.documents.keyring.ensure_dev_keys`) and the PKI's OCSP/CRL services reachable.
    """
    from eoffice.incoming.models import Receipt

    stp = Agency.objects.get(code=SHOWCASE_AGENCY)
    Unit.objects.get(agency=stp, abbreviation=UNIT)  # fail early on a province without the unit
    created = {"files": 0, "incoming": 0, "outgoing": 0}
    now = timezone.now()
    today = timezone.localdate(now)
    done_in = set(Receipt.objects.filter(source=SOURCE, source_ref__in=[s.key for s in INCOMING])
                  .values_list("source_ref", flat=True))
    done_out = _outgoing_done([s.key for s in OUTGOING])
    todo_in = [s for s in INCOMING if s.key not in done_in]
    todo_out = [s for s in OUTGOING if s.key not in done_out]
    if not todo_in and not todo_out:
        return created
    case_file = _case_file(stp, created)
    for scenario in todo_in:
        _incoming(scenario, stp, case_file, today, now)
        created["incoming"] += 1
        logger.info("demo incoming %s (%s) created", scenario.key, scenario.stage)
    for scenario in todo_out:
        _outgoing(scenario, stp, case_file)
        created["outgoing"] += 1
        logger.info("demo outgoing %s (%s) created", scenario.key, scenario.stage)
    return created
