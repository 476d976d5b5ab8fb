"""Pages of incoming dispatches: receipt queue, registration, document page, register list, files.

Views translate requests into service calls; they hold no business rules: what a page offers is
:mod:`eoffice.incoming.policy`'s answer (the services and the API ask it too), and every query goes through
``visible_to``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eoffice.documents.services import INCOMING_SECRET_SERIES, INCOMING_SERIES
from eoffice.incoming import policy, services
from eoffice.incoming.models import (
    IncomingDocument,
    IncomingFile,
    Receipt,
    ReceiptFile,
    ReceiptStatus,
    WorkItem,
    WorkKind,
)
from eoffice.incoming.services import IncomingError, ReceiptMetadata
from eoffice.orgs.scoping import visible_to
from eoffice.work import replies

from . import forms


def _error(request: HttpRequest, exc: IncomingError) -> None:
    messages.error(request, exc.message)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Văn bản đến: the receipt queue (for the clerk) and the latest documents."""
    receipts = (visible_to(Receipt, request.user).filter(status=ReceiptStatus.WAITING)
                .select_related("duplicate_of").order_by("-received_at")[:100])
    documents = (visible_to(IncomingDocument, request.user).select_related("document_type")
                 .order_by("-registered_at")[:20])
    return render(request, "incoming/index.html", {
        "receipts": receipts, "documents": documents, "is_clerk": policy.may_register(request.user)})


def _metadata_from(data: dict) -> ReceiptMetadata:
    return ReceiptMetadata(
        issuer_name=data["issuer_name"], number_notation=data["number_notation"], issued_on=data["issued_on"],
        summary=data["summary"], document_type=data.get("document_type"), signer_name=data.get("signer_name", ""),
        signer_position=data.get("signer_position", ""), urgency=data["urgency"],
        confidentiality=data["confidentiality"], deadline=data.get("deadline"))


@login_required
def register(request: HttpRequest) -> HttpResponse:
    """Register a paper or e-mail dispatch from an upload."""
    if not policy.may_register(request.user):
        raise Http404
    form = forms.RegisterForm(request.POST or None, request.FILES or None, agency=request.user.agency)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["files"]
        try:
            document = services.register_incoming(
                request.user, metadata=_metadata_from(data), files=[(upload.name, upload.read())],
                channel=data["channel"], scanned_paper=data["scanned_paper"], present_to=data["leader"],
                propose_by=data.get("proposer"), notes=data.get("notes", ""), request=request)
        except IncomingError as exc:
            form.add_error(None, exc.message)
            if exc.code == "duplicate":
                form.duplicate_id = exc.details.get("existing_id")  # none: not the clerk's to see
        else:
            messages.success(request, _("Đã vào sổ văn bản đến số %(n)s.") % {"n": document.arrival_number_display})
            return redirect("incoming:document", document.pk)
    return render(request, "incoming/register.html", {"form": form}, status=400 if form.errors else 200)


@dataclass
class ReplacementLink:
    notation: str  # empty when the person may not see it
    url: str | None  # None when the person may not open it


def _replacement_link(person, receipt: Receipt) -> ReplacementLink:
    """Where a person goes to read a replaced or replacing dispatch: its registered document, else its receipt."""
    doc = visible_to(IncomingDocument, person).filter(receipt=receipt).only("pk").first()
    if doc is not None:
        return ReplacementLink(receipt.number_notation, reverse("incoming:document", args=[doc.pk]))
    if visible_to(Receipt, person).filter(pk=receipt.pk).exists():
        return ReplacementLink(receipt.number_notation, reverse("incoming:receipt", args=[receipt.pk]))
    return ReplacementLink("", None)  # nothing of a dispatch the person may not see, not even its number


def _replacements(person, receipt: Receipt | None) -> dict:
    """The sender's replacement chain around ``receipt``: what it replaces and what replaced it (DOMAIN: a
    replacement supersedes the old document everywhere, with a visible link)."""
    if receipt is None:
        return {"replaces": None, "replaced_by": []}
    replaces = _replacement_link(person, receipt.replaces) if receipt.replaces_id else None
    replaced_by = [_replacement_link(person, r) for r in receipt.replaced_by.all()]
    return {"replaces": replaces, "replaced_by": replaced_by}


def _render_receipt(request: HttpRequest, receipt: Receipt, *, form=None, reason_form=None, error: str = "",
                    status: int = 200) -> HttpResponse:
    files = ReceiptFile.objects.offered().filter(receipt=receipt).select_related("stored_file")
    return render(request, "incoming/receipt.html", {
        "receipt": receipt, "files": files, "can": policy.receipt_actions(request.user, receipt),
        "validation_files": (receipt.validation or {}).get("files", []),
        "form": form or forms.ReceiptRegisterForm(agency=request.user.agency),
        "reason_form": reason_form or forms.ReasonForm(), "error": error,
        "duplicate": services.duplicate_as_seen_by(receipt.duplicate_of, request.user),
        **_replacements(request.user, receipt),
    }, status=status)


@login_required
def receipt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An electronic dispatch waiting for the clerk: its files, signature check; register it or return it."""
    receipt = get_object_or_404(visible_to(Receipt, request.user).select_related("duplicate_of"), pk=pk)
    if request.method != "POST":
        return _render_receipt(request, receipt)
    form = forms.ReceiptRegisterForm(request.POST, agency=request.user.agency)
    if not form.is_valid():
        return _render_receipt(request, receipt, form=form, status=400)
    try:
        document = services.register_incoming(request.user, receipt=receipt, present_to=form.cleaned_data["leader"],
                                              propose_by=form.cleaned_data.get("proposer"), request=request)
    except IncomingError as exc:
        receipt.refresh_from_db()
        return _render_receipt(request, receipt, form=form, error=exc.message, status=exc.status_code)
    messages.success(request, _("Đã vào sổ văn bản đến số %(n)s.") % {"n": document.arrival_number_display})
    return redirect("incoming:document", document.pk)


@login_required
@require_POST
def receipt_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Return a misaddressed or invalid electronic dispatch to its sender, with a reason."""
    receipt = get_object_or_404(visible_to(Receipt, request.user).select_related("duplicate_of"), pk=pk)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        return _render_receipt(request, receipt, reason_form=form, status=400)
    try:
        services.return_receipt(receipt, request.user, reason=form.cleaned_data["reason"], request=request)
    except IncomingError as exc:
        receipt.refresh_from_db()
        return _render_receipt(request, receipt, reason_form=form, error=exc.message, status=exc.status_code)
    messages.success(request, _("Đã trả lại văn bản."))
    return redirect("module-incoming")


def _action_form(item: WorkItem, person, doc: IncomingDocument, data=None) -> django_forms.Form:
    """The form of the person's step on the document, bound to ``data`` when given."""
    agency, prefix = person.agency, f"i{item.pk}"
    if item.kind == WorkKind.INSTRUCT:
        return forms.InstructForm(data, agency=agency, prefix=prefix)
    if item.kind == WorkKind.PROPOSE:
        return forms.ProposeForm(data, agency=agency, prefix=prefix)
    if item.kind == WorkKind.ASSIGN:
        return forms.AssignForm(data, agency=agency, unit=policy.assigns_within(person, doc), prefix=prefix)
    if item.kind == WorkKind.HANDLE:
        return forms.HandleForm(data, prefix=prefix, case_files=_files_for(person, doc))
    if item.kind == WorkKind.INFO:
        return forms.ReadForm(data, prefix=prefix)
    if item.kind == WorkKind.REVISE:
        return forms.ReadForm(data, prefix=prefix)
    return forms.InputForm(data, prefix=prefix)


def _files_for(person, doc: IncomingDocument):
    """The open files the person may put the document into, or None when it is already in one."""
    from eoffice.archive.models import FileEntry
    from eoffice.archive.services import files_open_to

    if FileEntry.objects.filter(kind="incoming", document_id=doc.pk).exists():
        return None
    return files_open_to(person)


def _replies(person, doc: IncomingDocument) -> list:
    """The outgoing documents answering ``doc`` that the person may see."""
    from eoffice.outgoing.models import OutgoingDocument

    return list(visible_to(OutgoingDocument, person).filter(answers_incoming_id=doc.pk).order_by("pk"))


def _render_document(request: HttpRequest, doc: IncomingDocument, *, bound: dict | None = None,
                     error: str = "", status: int = 200) -> HttpResponse:
    """The document page; ``bound`` holds the submitted forms (with their errors) that must keep their input."""
    bound = bound or {}
    files = list(IncomingFile.objects.offered().filter(document=doc).select_related("stored_file"))
    instructions = list(doc.instructions.select_related("author", "on_behalf_of", "lead_unit")
                        .prefetch_related("supporting_units", "info_units", "info_people"))
    steps = list(doc.steps.select_related("actor", "on_behalf_of", "target"))
    work = list(doc.work_items.select_related("person", "unit").order_by("created_at"))
    person, agency = request.user, request.user.agency
    delegators = person.acting_for()  # once for every question below
    offered = {w.pk: policy.actions(person, w, delegators=delegators) for w in work}
    action_forms = []
    for item in reversed(work):  # the person's steps, latest first (as in their inbox)
        if not offered[item.pk]["act"]:
            continue
        form = bound.get(("act", item.pk)) or _action_form(item, person, doc)
        back = None
        if offered[item.pk]["send_back"]:
            back = bound.get(("back", item.pk)) or forms.SendBackForm(prefix=f"b{item.pk}")
        action_forms.append((item, form, back, offered[item.pk]))
    open_work = [
        (w, bound.get(("redirect", w.pk)) or forms.ReassignForm(agency=agency, prefix=f"r{w.pk}"), offered[w.pk])
        for w in work if offered[w.pk]["reassign"]
    ]
    return render(request, "incoming/document.html", {
        "doc": doc, "files": files, "instructions": instructions, "steps": steps, "work": work,
        "action_forms": action_forms, "extend_form": bound.get("extend") or forms.ExtendForm(),
        "open_work": open_work, "can": policy.document_actions(person, doc, delegators=delegators),
        "validation_files": (doc.validation or {}).get("files", []), "error": error,
        "replies": _replies(request.user, doc),
        **_replacements(request.user, doc.receipt if doc.receipt_id else None),
    }, status=status)


def _visible_document(request: HttpRequest, pk: int) -> IncomingDocument:
    return get_object_or_404(
        visible_to(IncomingDocument, request.user).select_related(
            "document_type", "registered_by", "lead_unit", "agency", "receipt"), pk=pk)


@login_required
def document(request: HttpRequest, pk: int) -> HttpResponse:
    """The document page: preview, signature validation, every instruction and step; the person's actions."""
    return _render_document(request, _visible_document(request, pk))


@login_required
@require_POST
def act(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Carry out the person's step on a document (instruct, assign, handle, give input, mark read, send back...).

    A refused step shows the document page again with the Vietnamese error and what the person typed."""
    doc = _visible_document(request, pk)
    item = get_object_or_404(WorkItem.objects.filter(document=doc), pk=item_pk)
    if request.POST.get("action") == "draft_reply":
        try:
            draft = replies.draft_reply(item, request.user, request=request)
        except IncomingError as exc:
            return _render_document(request, doc, error=exc.message, status=exc.status_code)
        messages.success(request, _("Hãy tải lên dự thảo văn bản trả lời; việc xử lý xong khi văn bản được phát "
                                    "hành."))
        return redirect("outgoing-detail", pk=draft.pk)
    if request.POST.get("action") == "send_back":
        form = forms.SendBackForm(request.POST, prefix=f"b{item.pk}")
        key = ("back", item.pk)
    else:
        form = _action_form(item, request.user, doc, request.POST)
        key = ("act", item.pk)
    if not form.is_valid():
        return _render_document(request, doc, bound={key: form}, status=400)
    data = form.cleaned_data
    try:
        if key[0] == "back":
            services.send_back(item, request.user, reason=data["reason"], request=request)
        elif item.kind == WorkKind.INSTRUCT:
            services.instruct(item, request.user, request=request, **data)
        elif item.kind == WorkKind.PROPOSE:
            services.propose(item, request.user, request=request, **data)
        elif item.kind == WorkKind.ASSIGN:
            services.assign_handlers(item, request.user, request=request, **data)
        elif item.kind == WorkKind.HANDLE:
            draft = replies.handle(item, request.user, result=data["text"], draft_reply=data["draft_reply"],
                                   case_file=data.get("case_file"), request=request)
            if draft is not None:
                messages.success(request, _("Hãy tải lên dự thảo văn bản trả lời; việc xử lý xong khi văn bản được "
                                            "phát hành."))
                return redirect("outgoing-detail", pk=draft.pk)
        elif item.kind in (WorkKind.SUPPORT, WorkKind.COHANDLE):
            services.give_input(item, request.user, text=data["text"], request=request)
        elif item.kind == WorkKind.INFO:
            services.mark_read(item, request.user, request=request)
        elif item.kind == WorkKind.REVISE:
            services.represent(item, request.user, request=request)
        else:  # pragma: no cover - every kind is handled above
            raise IncomingError(_("Thao tác không phù hợp."), code="wrong_step")
    except IncomingError as exc:
        return _render_document(request, doc, bound={key: form}, error=exc.message, status=exc.status_code)
    messages.success(request, _("Đã ghi nhận."))
    return redirect("incoming:document", doc.pk)


@login_required
@require_POST
def redirect_work(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Reassign a step to someone else, or (a leader) take it back to oneself."""
    doc = _visible_document(request, pk)
    item = get_object_or_404(WorkItem.objects.filter(document=doc), pk=item_pk)
    take_back = request.POST.get("action") == "take_back"
    form = forms.ReassignForm(request.POST, agency=request.user.agency, prefix=f"r{item.pk}")
    if take_back:
        form.fields["to"].required = False
    if not form.is_valid():
        return _render_document(request, doc, bound={("redirect", item.pk): form}, status=400)
    try:
        if take_back:
            services.take_back(item, request.user, reason=form.cleaned_data["reason"], request=request)
        else:
            services.reassign(item, request.user, to=form.cleaned_data["to"], reason=form.cleaned_data["reason"],
                              request=request)
    except IncomingError as exc:
        return _render_document(request, doc, bound={("redirect", item.pk): form}, error=exc.message,
                                status=exc.status_code)
    messages.success(request, _("Đã thu hồi việc.") if take_back else _("Đã chuyển việc."))
    return redirect("incoming:document", doc.pk)


@login_required
@require_POST
def extend(request: HttpRequest, pk: int) -> HttpResponse:
    """Extend the deadline, with a required reason."""
    doc = _visible_document(request, pk)
    form = forms.ExtendForm(request.POST)
    if not form.is_valid():
        return _render_document(request, doc, bound={"extend": form}, status=400)
    try:
        services.extend_deadline(doc, request.user, request=request, **form.cleaned_data)
    except IncomingError as exc:
        return _render_document(request, doc, bound={"extend": form}, error=exc.message,
                                status=exc.status_code)
    messages.success(request, _("Đã gia hạn xử lý."))
    return redirect("incoming:document", doc.pk)


def register_filters(request: HttpRequest, agency) -> tuple[forms.RegisterFilterForm, dict, bool]:
    """The register's filters from the query string (shared by the list and the PDF/XLSX print-outs).

    Returns the bound form, the valid values (an invalid one is left out and shown as an error) and whether the
    person may open the secret register. Asking for the secret register without that right is not found."""
    secret_allowed = policy.may_see_secret_register(request.user, agency)
    if request.GET.get("so") == INCOMING_SECRET_SERIES[0] and not secret_allowed:
        raise Http404
    form = forms.RegisterFilterForm(request.GET, secret_register=secret_allowed)
    form.is_valid()
    values = {name: value for name, value in form.cleaned_data.items() if name in form.fields}
    return form, values, secret_allowed


def register_query(values: dict) -> dict:
    """The ``register_documents`` arguments for the filter values of :func:`register_filters`."""
    return {"series": values.get("so") or "", "date_from": values.get("tu_ngay"), "date_to": values.get("den_ngay"),
            "urgency": values.get("do_khan") or "", "channel": values.get("kenh") or "",
            "status": values.get("trang_thai") or "", "text": (values.get("q") or "").strip()}


@login_required
def register_list(request: HttpRequest) -> HttpResponse:
    """Sổ đăng ký văn bản đến of the person's agency, per year and series (the ordinary one unless the secret one is
    asked for), with filters; the print links carry them (constant number of queries)."""
    form, values, secret_allowed = register_filters(request, request.user.agency)
    year = values.get("nam") or timezone.localdate().year
    docs = (services.register_documents(request.user, year=year, agency=request.user.agency,
                                        **register_query(values))
            .select_related("document_type", "lead_unit").order_by("arrival_number"))
    page = Paginator(docs, 100).get_page(request.GET.get("trang"))
    # The print links carry the register shown and the valid filters (the year is in their path).
    carried = {"so": values.get("so") or INCOMING_SERIES[0]}
    for name in ("tu_ngay", "den_ngay", "do_khan", "kenh", "trang_thai", "q"):
        value = values.get(name)
        if value:
            carried[name] = value.isoformat() if isinstance(value, date) else str(value).strip()
    return render(request, "incoming/register_list.html", {
        "page": page, "year": year, "form": form, "filters": request.GET, "secret_allowed": secret_allowed,
        "secret_register": values.get("so") == INCOMING_SECRET_SERIES[0], "print_query": urlencode(carried),
        "page_query": urlencode({"nam": year, **carried}),
    }, status=400 if form.errors else 200)


def _file_response(stored) -> FileResponse:
    response = FileResponse(stored.file.open("rb"), content_type=stored.content_type, filename=stored.name)
    response["Content-Disposition"] = response["Content-Disposition"].replace("attachment", "inline")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def document_file(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    doc = get_object_or_404(visible_to(IncomingDocument, request.user), pk=pk)
    link = get_object_or_404(IncomingFile.objects.offered().select_related("stored_file"), document=doc, pk=file_pk)
    return _file_response(link.stored_file)


@login_required
def receipt_file(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    receipt = get_object_or_404(visible_to(Receipt, request.user), pk=pk)
    link = get_object_or_404(ReceiptFile.objects.offered().select_related("stored_file"), receipt=receipt, pk=file_pk)
    return _file_response(link.stored_file)
