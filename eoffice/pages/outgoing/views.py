"""Pages of outgoing dispatches. Each POST calls one service function; errors come back as Vietnamese messages."""

from __future__ import annotations

import base64

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from eoffice.core.errors import DomainError
from eoffice.core.params import loads_bounded, parse_code, parse_id, parse_ids, parse_year, safe_filename
from eoffice.documents.models import DocumentType
from eoffice.documents.services import OUTGOING_SERIES
from eoffice.orgs.models import RoleCode
from eoffice.orgs.navigation import HANDLERS
from eoffice.orgs.scoping import visible_to
from eoffice.outgoing import batch, policy, register, services
from eoffice.outgoing.models import DeliveryKind, OutgoingDocument, Status

from .forms import DraftForm

STATUS_FILTERS = [("", _l("Tất cả"))] + list(Status.choices)


def _handler(request: HttpRequest) -> None:
    """The module is for the roles the navigation gives it to (others get 403, as every module page)."""
    if not request.user.is_superuser and not request.user.has_role(*HANDLERS):
        raise PermissionDenied


def _document(request: HttpRequest, pk: int) -> OutgoingDocument:
    document = (visible_to(OutgoingDocument, request.user)
                .select_related("agency", "drafting_unit", "drafter", "signer", "signed_by", "document_type",
                                "current_file", "replaces").filter(pk=pk).first())
    if document is None:
        raise Http404
    return document


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The outgoing documents the person may see, with filters; what waits for them first."""
    _handler(request)
    person = request.user
    documents = (visible_to(OutgoingDocument, person)
                 .select_related("document_type", "drafter", "signer", "drafting_unit").order_by("-updated_at"))
    status = request.GET.get("status", "")
    if status in Status.values:
        documents = documents.filter(status=status)
    query = request.GET.get("q", "").strip()
    if query:
        documents = documents.filter(Q(summary__icontains=query) | Q(notation__icontains=query))
    waiting = list(services.waiting_for(person, documents).order_by("-urgency_rank", "-updated_at")[:100])
    clerk = person.has_role(RoleCode.CLERK) and bool(person.agency_id)
    recent = _recent_batch(request) if clerk else []
    states = batch.batch_states({d.pk: d for d in [*waiting, *recent]}.values()) if clerk else {}
    for d in [*waiting, *recent]:
        d.batch_state = states.get(d.pk)
        d.batchable = clerk and d.agency_id == person.agency_id and d.status in (Status.SIGNED, Status.ISSUED) \
            and not (d.batch_state and d.batch_state.pending)
    return render(request, "outgoing/index.html", {
        "documents": documents[:200], "waiting": waiting, "status": status, "query": query,
        "status_filters": STATUS_FILTERS, "can_draft": bool(person.unit_id), "clerk": clerk,
        "can_batch": any(d.batchable for d in waiting), "recent_batch": recent,
        "batch_pending": any(d.batch_state and d.batch_state.pending for d in [*waiting, *recent]),
    })


BATCH_SESSION_KEY = "outgoing_batch"


def _recent_batch(request: HttpRequest) -> list[OutgoingDocument]:
    """The documents of the clerk's last batch (kept in the session), as the clerk may see them now."""
    ids = [i for i in request.session.get(BATCH_SESSION_KEY, []) if isinstance(i, int)]
    if not ids:
        return []
    found = {d.pk: d for d in visible_to(OutgoingDocument, request.user).filter(pk__in=ids)
             .select_related("document_type", "drafter", "signer", "drafting_unit")}
    return [found[i] for i in ids if i in found]


@login_required
@require_POST
def issue_batch(request: HttpRequest) -> HttpResponse:
    """The clerk's batch from the waiting list: number, seal and release the chosen documents in the background."""
    _handler(request)
    try:
        ids = parse_ids(request.POST.getlist("documents"), name="documents")
        queued = batch.issue_batch(ids, request.user, release=True, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        request.session[BATCH_SESSION_KEY] = queued.documents
        messages.success(request, _("Đã đưa %(n)d văn bản vào hàng đợi đóng dấu… Trạng thái của từng văn bản được "
                                    "cập nhật trong danh sách bên dưới.") % {"n": len(queued.documents)})
    return redirect("module-outgoing")


@login_required
def batch_status(request: HttpRequest) -> JsonResponse:
    """The batch state of the documents the page shows (ids in ``?ids=1,2``), for the page to follow them."""
    _handler(request)
    try:
        ids = parse_ids(request.GET.get("ids", ""), name="ids")[:batch.MAX_BATCH]
    except DomainError as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message, "details": exc.details}},
                            status=400)
    documents = list(visible_to(OutgoingDocument, request.user).filter(pk__in=ids))
    states = batch.batch_states(documents)
    result = {}
    for d in documents:
        state = states.get(d.pk)
        result[str(d.pk)] = {
            "status": d.status, "status_label": str(d.get_status_display()), "notation": d.notation,
            "state": state.code if state else "", "label": str(state.label) if state else "",
            "reason": state.reason if state else "", "pending": bool(state and state.pending),
        }
    return JsonResponse({"documents": result})


@login_required
def create(request: HttpRequest) -> HttpResponse:
    _handler(request)
    form = DraftForm(request.user, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            document = services.create_draft(request.user, form.to_input(), request=request)
        except DomainError as exc:
            form.add_error(None, ValidationError(exc.message, code=exc.code))
        else:
            messages.success(request, _("Đã lưu dự thảo."))
            return redirect("outgoing-detail", pk=document.pk)
    return render(request, "outgoing/create.html", {"form": form})


def _actions(document: OutgoingDocument, person) -> dict[str, bool]:
    return policy.actions(person, document)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    _handler(request)
    document = _document(request, pk)
    replaced_by = OutgoingDocument.objects.filter(replaces=document).first()
    actions = _actions(document, request.user)
    return render(request, "outgoing/detail.html", {
        "document": document,
        "versions": document.versions.select_related("file", "source", "created_by").order_by("seq"),
        "opinions": document.opinions.select_related("person", "on_behalf_of", "unit"),
        "deliveries": document.deliveries.select_related("agency").prefetch_related("events"),
        "internal_units": document.recipient_units.all(),
        "internal_people": document.recipient_people.all(),
        "consultations": document.consultations.select_related("unit", "opinion"),
        "actions": actions,
        "batch_failure": batch.last_failure(document) if actions["issue"] or actions["release"] else None,
        "answers": _answered(request.user, document),
        "case_files": _release_files(request.user, document) if actions["release"] else None,
        "replaced_by": replaced_by if replaced_by and visible_to(OutgoingDocument, request.user).filter(
            pk=replaced_by.pk).exists() else None,
        "agent_url": settings.SIGNING_AGENT_URL,
        "external": DeliveryKind.EXTERNAL,
    })


def _answered(person, document: OutgoingDocument):
    """The incoming document this one answers, when the person may see it (a link on the page)."""
    from eoffice.incoming.models import IncomingDocument

    if not document.answers_incoming_id:
        return None
    return visible_to(IncomingDocument, person).filter(pk=document.answers_incoming_id).first()


def _release_files(person, document: OutgoingDocument):
    """The files the clerk may put the document into when releasing it (None when it is already filed)."""
    from eoffice.archive.models import FileEntry
    from eoffice.archive.services import files_open_to

    if FileEntry.objects.filter(kind="outgoing", document_id=document.pk).exists():
        return None
    return list(files_open_to(person)[:200])


def _chosen_file(person, value: str):
    """The file chosen in the release form ("" for none); a file the person may not use is refused."""
    from eoffice.archive.services import files_open_to

    if not value:
        return None
    chosen = files_open_to(person).filter(pk=value).first() if value.isdigit() else None
    if chosen is None:
        raise DomainError(_("Hồ sơ đã chọn không hợp lệ hoặc đã kết thúc."), code="bad_case_file")
    return chosen


@login_required
def file(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    if document.current_file is None:
        raise Http404
    response = HttpResponse(document.current_file.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.current_file.name}"'
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Every button of the document page: one service call each."""
    document = _document(request, pk)
    person, post = request.user, request.POST
    done = {
        "submit": _("Đã trình dự thảo."), "approve": _("Đã đồng ý, chuyển bước tiếp theo."),
        "return-review": _("Đã trả lại dự thảo."), "consult": _("Đã gửi ý kiến của đơn vị."),
        "sign": _("Đã ký số văn bản."), "return": _("Đã trả lại dự thảo."),
        "issue": _("Đã cấp số, đăng ký và đóng dấu văn bản."), "release": _("Đã phát hành văn bản."),
        "recall": _("Đã thu hồi văn bản."), "version": _("Đã tải lên phiên bản mới."),
        "replace": _("Đã tạo dự thảo thay thế."),
    }
    try:
        if action == "submit":
            services.submit(document, person, request=request)
        elif action == "approve":
            services.review(document, person, services.ReviewInput(approve=True, comment=post.get("comment", "")),
                            request=request)
        elif action == "return-review":
            services.review(document, person, services.ReviewInput(approve=False, comment=post.get("comment", "")),
                            request=request)
        elif action == "consult":
            services.consult(document, person, services.ConsultInput(agree=post.get("agree", "1") == "1",
                                                                     comment=post.get("comment", "")),
                             request=request)
        elif action == "sign":
            services.sign(document, person, request=request)
        elif action == "return":
            services.return_to_drafter(document, person, services.ReturnInput(comment=post.get("comment", "")),
                                       request=request)
        elif action == "issue":
            services.issue(document, person, request=request)
        elif action == "release":
            services.release(document, person, case_file=_chosen_file(person, post.get("case_file", "")),
                             request=request)
        elif action == "recall":
            services.recall(document, person, services.RecallInput(reason=post.get("reason", "")), request=request)
        elif action == "version":
            upload = request.FILES.get("file")
            if upload is None:
                raise DomainError(_("Chưa chọn tệp."), code="no_file")
            services.add_version(document, person, upload.name, upload.read(), request=request)
        elif action == "replace":
            upload = request.FILES.get("file")
            new = services.create_replacement(document, person, services.ReplacementInput(
                summary=post.get("summary", ""), file=(upload.name, upload.read()) if upload else None),
                request=request)
            messages.success(request, done[action])
            return redirect("outgoing-detail", pk=new.pk)
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done[action])
    return redirect("outgoing-detail", pk=document.pk)


def _json_body(request: HttpRequest) -> dict:
    try:
        body = loads_bounded(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise DomainError(_("Dữ liệu gửi lên không đọc được."), code="parse_error") from exc
    if not isinstance(body, dict):
        raise DomainError(_("Dữ liệu gửi lên không đọc được."), code="parse_error")
    return body


@login_required
@require_POST
def two_step_prepare(request: HttpRequest, pk: int) -> JsonResponse:
    """The page sends the certificate the agent listed; the server prepares the document for the token."""
    document = _document(request, pk)
    try:
        body = _json_body(request)
        chain = [base64.b64decode(c, validate=True) for c in body.get("chain", [])]
        if not chain:
            raise DomainError(_("Chưa chọn chứng thư số."), code="no_certificate")
        session, prepared = services.prepare_two_step(document, request.user, chain, request=request)
    except DomainError as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=exc.status_code)
    except ValueError:
        return JsonResponse({"error": {"code": "bad_base64", "message": _("Chứng thư số không hợp lệ.")}}, status=400)
    return JsonResponse({"session": session.pk, "agent_request": prepared.agent_request()})


@login_required
@require_POST
def two_step_complete(request: HttpRequest, pk: int) -> JsonResponse:
    document = _document(request, pk)
    try:
        body = _json_body(request)
        signature = base64.b64decode(body.get("signature", ""), validate=True)
        services.complete_two_step(document, request.user, parse_id(body.get("session"), name="session"), signature, request=request)
    except DomainError as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=exc.status_code)
    except ValueError:
        return JsonResponse({"error": {"code": "bad_signature", "message": _("Chữ ký không hợp lệ.")}}, status=400)
    messages.success(request, _("Đã ký số văn bản."))
    return JsonResponse({"ok": True})


@login_required
def register_page(request: HttpRequest) -> HttpResponse:
    """Sổ đăng ký văn bản đi: per series and year, with filters, printable as PDF and XLSX."""
    _handler(request)
    person = request.user
    try:
        year = parse_year(request.GET.get("year"), default=timezone.localdate().year)
        series = parse_code(request.GET.get("series"), name="series", default=OUTGOING_SERIES[0])
        type_code = parse_code(request.GET.get("type"), name="type")
    except DomainError as exc:
        return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
    query = request.GET.get("q", "").strip()
    documents = register.register_documents(person, year=year, series_code=series, document_type=type_code,
                                            query=query)
    rows = [register.row_of(d) for d in documents]
    name = register.series_name(person.agency, series, year)
    output = request.GET.get("output")
    if output in ("pdf", "xlsx"):
        if output == "pdf":
            body, content_type = register.register_pdf(person.agency, year, name, rows), "application/pdf"
        else:
            body = register.register_xlsx(person.agency, year, name, rows)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="{safe_filename(f"so-van-ban-di-{series}-{year}")}.{output}"')
        return response
    return render(request, "outgoing/register.html", {
        "rows": rows, "year": year, "series": series, "series_name": name, "type_code": type_code or "",
        "query": query, "series_choices": register.series_choices(person.agency, year),
        "types": DocumentType.objects.filter(is_active=True), "columns": register.COLUMNS,
    })
