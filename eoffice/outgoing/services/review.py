"""The draft's way to the signer: :func:`submit` to the drafting unit's head, :func:`review`, :func:`consult`
of other units, and :func:`return_to_drafter` (by the signer, or by the clerk at the form check)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from eoffice.audit.services import record
from eoffice.documents.services import store_file
from eoffice.orgs.models import Person, RoleCode

from .. import policy
from ..models import Consultation, ConversionStatus, Opinion, OutgoingDocument, Status, Step, VersionKind
from ..process import driver as process_driver
from ._common import (
    _add_readers,
    _error,
    _lock,
    _new_version,
    _next_seq,
    _not_your_task,
    position_of,
    unit_heads,
)
from .drafting import check_secret_recipients
from .inputs import ConsultInput, ReturnInput, ReviewInput, coerce
from .issuing import _require_clerk


def _prepare_for_signing(document: OutgoingDocument, person: Person) -> None:
    """Place the number and date fields (once per file) and check the signature block can be found."""
    from signing.appearance import LayoutError, find_signature_block
    from signing.pades import add_number_date_fields

    latest = document.versions.order_by("-seq").first()
    if latest is None or latest.conversion == ConversionStatus.PENDING:
        raise _error("Dự thảo chưa có tệp PDF (tệp DOCX đang được chuyển đổi, hãy đợi).", "no_pdf", 409)
    if latest.conversion == ConversionStatus.FAILED or latest.file is None:
        raise _error(f"Dự thảo chưa có tệp PDF hợp lệ: {latest.error or 'hãy tải lên tệp khác'}", "no_pdf", 409)
    if latest.kind == VersionKind.FIELDS:
        return
    if latest.kind in (VersionKind.SIGNED, VersionKind.NUMBERED, VersionKind.SEALED):
        raise _error("Văn bản đã ký được trả lại: hãy tải lên phiên bản dự thảo mới trước khi trình lại.",
                     "new_version_required", 409)
    pdf = latest.file.read()
    try:
        find_signature_block(pdf, name=document.signer.get_full_name(), position=position_of(document))
        with_fields = add_number_date_fields(pdf)
    except LayoutError as exc:
        raise _error(f"Dự thảo chưa đúng thể thức: {exc}", "layout") from exc
    stored = store_file(with_fields, name=f"du-thao-{document.pk}-v{_next_seq(document)}.pdf")
    _new_version(document, VersionKind.FIELDS, stored, person)


def submit(document: OutgoingDocument, person: Person, *, request=None) -> OutgoingDocument:
    """The drafter sends the draft to the head of the drafting unit (first time, or again after a return)."""
    flow = process_driver()

    with transaction.atomic():
        document = _lock(document)
        if person.pk != document.drafter_id:
            raise _error("Chỉ người soạn thảo được trình dự thảo.", "permission_denied", 403)
        if document.status not in (Status.DRAFT, Status.RETURNED):
            raise _error("Dự thảo đã được trình.", "wrong_state", 409)
        if not unit_heads(document.drafting_unit) and not person.has_role(RoleCode.UNIT_HEAD):
            raise _error("Đơn vị soạn thảo chưa có lãnh đạo đơn vị để kiểm tra dự thảo.", "no_reviewer", 409)
        check_secret_recipients(document)
        _prepare_for_signing(document, person)
        _add_readers(document, *unit_heads(document.drafting_unit))
        first = document.status == Status.DRAFT
        document.status = Status.IN_REVIEW
        document.save(update_fields=["status", "updated_at"])
        if first:
            flow.start(document)
        else:
            flow.complete(document, "revise", person)
        record("outgoing.submitted", actor=person, obj=document, request=request)
    return document


def review(document: OutgoingDocument, person: Person, decision: ReviewInput | None = None, *, request=None,
           **fields: Any) -> OutgoingDocument:
    """The unit head's check of content and form: approve (on to consultation or the signer) or return."""
    flow = process_driver()

    decision = coerce(ReviewInput, decision, fields)
    approve, comment = decision.approve, (decision.comment or "").strip()
    if not approve and not comment:
        raise _error("Trả lại dự thảo cần ghi ý kiến.", "comment_required")
    with transaction.atomic():
        document = _lock(document)
        if document.status != Status.IN_REVIEW:
            raise _error("Dự thảo không ở bước kiểm tra.", "wrong_state", 409)
        flow.open_task(document, "review")
        allowed, behalf = policy.may_review(person, document)
        if not allowed:
            raise _error("Chỉ lãnh đạo đơn vị soạn thảo mới kiểm tra dự thảo.", "not_your_task", 403)
        Opinion.objects.create(document=document, step=Step.REVIEW, person=person, on_behalf_of=behalf,
                               unit=document.drafting_unit, approved=approve, text=comment)
        if not approve:
            document.status = Status.RETURNED
        elif document.consult_units.exists():
            document.status = Status.CONSULTING
            round_no = (document.consultations.aggregate(m=Max("round"))["m"] or 0) + 1
            for unit in document.consult_units.all():
                Consultation.objects.create(document=document, unit=unit, round=round_no)
                _add_readers(document, *unit_heads(unit))
        else:
            document.status = Status.TO_SIGN
        document.save(update_fields=["status", "updated_at"])
        flow.complete(document, "review", person)
        record("outgoing.reviewed", actor=person, obj=document, request=request, on_behalf_of=behalf,
               data={"approved": approve, "comment": comment})
    return document


def consult(document: OutgoingDocument, person: Person, opinion: ConsultInput | None = None, *, request=None,
            **fields: Any) -> Consultation:
    """A consulted unit's head gives the unit's opinion; the last one sends the draft on to the signer."""
    flow = process_driver()

    opinion = coerce(ConsultInput, opinion, fields)
    unit, agree, comment = opinion.unit or person.unit, opinion.agree, (opinion.comment or "").strip()
    with transaction.atomic():
        document = _lock(document)
        if document.status != Status.CONSULTING:
            raise _error("Dự thảo không ở bước lấy ý kiến.", "wrong_state", 409)
        consultation = (document.consultations.filter(unit=unit, opinion__isnull=True)
                        .order_by("-round").first())
        if consultation is None:
            raise _error("Đơn vị của bạn không được hỏi ý kiến, hoặc đã góp ý.", "not_consulted", 409)
        task = flow.open_task(document, "consult", unit_id=unit.pk)
        if task.owner_id is None and person.unit_id != unit.pk:
            raise _error("Chỉ đơn vị được hỏi ý kiến mới góp ý.", "not_your_task", 403)
        behalf = None
        if task.owner_id is not None and task.owner_id != person.pk:
            # The task is assigned to the unit's head: only they, or someone standing in for them, answer.
            behalf = next((p for p in person.acting_for(on=document) if p.pk == task.owner_id), None)
            if behalf is None:
                raise _not_your_task()
        consultation.opinion = Opinion.objects.create(document=document, step=Step.CONSULT, person=person,
                                                      on_behalf_of=behalf, unit=unit, approved=agree, text=comment)
        consultation.save(update_fields=["opinion"])
        if not document.consultations.filter(round=consultation.round, opinion__isnull=True).exists():
            document.status = Status.TO_SIGN
            document.save(update_fields=["status", "updated_at"])
        flow.complete(document, "consult", person, unit_id=unit.pk)
        record("outgoing.consulted", actor=person, obj=document, request=request, on_behalf_of=behalf,
               data={"unit": unit.abbreviation, "agree": agree, "comment": comment})
    return consultation


def return_to_drafter(document: OutgoingDocument, person: Person, returned: ReturnInput | None = None, *,
                      request=None, **fields: Any) -> OutgoingDocument:
    """The signer (at signing) or the clerk (at the form check) returns the draft to the drafter."""
    flow = process_driver()

    comment = (coerce(ReturnInput, returned, fields).comment or "").strip()
    if not comment:
        raise _error("Trả lại dự thảo cần ghi ý kiến.", "comment_required")
    with transaction.atomic():
        document = _lock(document)
        if document.status == Status.TO_SIGN:
            step, node = Step.SIGN, "sign"
            flow.open_task(document, node)
            allowed, behalf = policy.may_sign(person, document)
            if not allowed:
                raise _not_your_task()
        elif document.status == Status.SIGNED:
            step, node = Step.ISSUE, "issue"
            _require_clerk(person, document)
            behalf = None
        else:
            raise _error("Văn bản không ở bước có thể trả lại.", "wrong_state", 409)
        Opinion.objects.create(document=document, step=step, person=person, on_behalf_of=behalf, approved=False,
                               text=comment)
        if step == Step.ISSUE:
            # The leader's signature is on the returned file: the next version starts from the drafter's last one.
            document.signed_at = None
            document.signed_by = None
        document.status = Status.RETURNED
        document.save(update_fields=["status", "signed_at", "signed_by", "updated_at"])
        flow.complete(document, node, person)
        record("outgoing.returned", actor=person, obj=document, request=request, on_behalf_of=behalf,
               data={"step": step, "comment": comment})
    return document
