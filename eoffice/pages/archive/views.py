"""Pages of files (hồ sơ): the yearly file lists, one file, filing a document, closing, transfer, the archive."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eoffice.archive import services
from eoffice.archive.models import ArchivalStatus, ArchivedVersion, CaseFile, FileStatus, Transfer
from eoffice.core.errors import DomainError
from eoffice.core.params import ParameterError, parse_ids, parse_optional_id
from eoffice.orgs.models import RoleCode
from eoffice.orgs.scoping import visible_to

from .forms import OpenFileForm


def _documents(entries, person) -> list[dict]:
    """Summary and link of each filed document the person may open (others are listed without them)."""
    from search.indexing import get_source

    entries = list(entries)
    visible: dict[tuple[str, int], object] = {}
    for kind in {entry.kind for entry in entries}:
        model = get_source(kind).queryset().model
        ids = [e.document_id for e in entries if e.kind == kind]
        visible.update({(kind, obj.pk): obj for obj in visible_to(model, person).filter(pk__in=ids)})
    rows = []
    for entry in entries:
        source = get_source(entry.kind)
        document = visible.get((entry.kind, entry.document_id))
        rows.append({"entry": entry, "label": source.label, "document": document,
                     "url": source.url(entry.document_id) if document is not None else ""})
    return rows


def _visible_versions(versions, person) -> list:
    """The archival versions of the documents ``person`` may see (visible_to): of the others, not even the file's
    name or its archival status is shown."""
    from search.indexing import get_source

    versions = list(versions)
    seen: set[tuple[str, int]] = set()
    for kind in {v.kind for v in versions}:
        ids = [v.document_id for v in versions if v.kind == kind]
        seen |= {(kind, pk) for pk in visible_to(get_source(kind).queryset().model, person).filter(
            pk__in=ids).values_list("pk", flat=True)}
    return [v for v in versions if (v.kind, v.document_id) in seen]


def _may_use_files(person) -> bool:
    from eoffice.orgs.navigation import navigation_for

    return any(item.key == "files" for item in navigation_for(person))


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not _may_use_files(request.user):
        return render(request, "archive/forbidden.html", status=403)
    person = request.user
    form = OpenFileForm(request.POST or None, person=person)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case_file = services.open_file(person, request=request, **form.cleaned_data)
            except services.ArchiveError as error:
                form.add_error(None, error.message)
                status = 400
            else:
                messages.success(request, _("Đã lập hồ sơ %(code)s.") % {"code": case_file.code})
                return redirect("archive-file", case_file.pk)
        else:
            status = 400
    files = visible_to(CaseFile, person).select_related("unit", "retention", "opened_by")
    year = request.GET.get("year", "")
    if year.isdigit():
        files = files.filter(year=int(year)) if len(year) <= 4 else files.none()
    if request.GET.get("status") in FileStatus.values:
        files = files.filter(status=request.GET["status"])
    years = sorted(set(visible_to(CaseFile, person).values_list("year", flat=True)), reverse=True)
    return render(request, "archive/index.html", {
        "files": files.order_by("-year", "unit__name", "code")[:500], "form": form, "years": years,
        "year": year, "status": request.GET.get("status", ""), "statuses": FileStatus.choices,
        "can_transfer": person.has_role(*services.FILE_MANAGERS) or bool(person.unit_id),
        "is_archivist": person.has_role(RoleCode.ARCHIVIST, RoleCode.LEADER, RoleCode.DEPUTY_LEADER),
    }, status=status)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    case_file = get_object_or_404(visible_to(CaseFile, request.user).select_related(
        "unit", "retention", "opened_by", "closed_by", "transfer"), pk=pk)
    versions = _visible_versions(case_file.archived_versions.select_related("source", "archived"), request.user)
    return render(request, "archive/detail.html", {
        "file": case_file, "documents": _documents(case_file.entries.all(), request.user), "versions": versions,
        "can_edit": services._may_edit(request.user, case_file),
    })


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    case_file = get_object_or_404(visible_to(CaseFile, request.user), pk=pk)
    try:
        services.close_file(request.user, case_file, request=request)
    except services.ArchiveError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Đã kết thúc hồ sơ."))
    return redirect("archive-file", pk)


@login_required
@require_POST
def file_document(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    try:
        case_file_id = parse_optional_id(request.POST.get("case_file"), name="case_file")
    except DomainError:
        case_file_id = None
    case_file = visible_to(CaseFile, request.user).filter(pk=case_file_id or 0).first()
    try:
        document_id = parse_optional_id(request.POST.get("document_id"), name="document_id") or 0
        if case_file is None:
            raise services.ArchiveError(_("Chưa chọn hồ sơ."), code="no_file")
        services.file_document(request.user, case_file, request.POST.get("kind", ""), document_id, request=request)
    except (ValueError, ParameterError):
        messages.error(request, _("Văn bản không hợp lệ."))
    except services.ArchiveError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Đã đưa văn bản vào hồ sơ %(code)s.") % {"code": case_file.code})
    return redirect(next_url or "module-files")


@login_required
@require_POST
def transfer(request: HttpRequest) -> HttpResponse:
    try:
        ids = parse_ids(request.POST.getlist("files"), name="files")
    except DomainError:
        ids = []
    files = list(visible_to(CaseFile, request.user).filter(pk__in=ids))
    try:
        services.transfer_files(request.user, files, note=request.POST.get("note", ""), request=request)
    except services.ArchiveError as error:
        messages.error(request, error.message)
        return redirect("module-files")
    messages.success(request, _("Đã nộp lưu %(n)d hồ sơ; bản lưu trữ dài hạn đang được tạo.") % {"n": len(files)})
    return redirect("archive-archive")


@login_required
def archive(request: HttpRequest) -> HttpResponse:
    """The archive's view of transferred files (kho lưu trữ cơ quan)."""
    if not _may_use_files(request.user):
        return render(request, "archive/forbidden.html", status=403)
    # A transfer is visible when one of its files is; of a transfer of several units' files, a person sees only
    # the files the rule lets them see (their unit's, for someone who does not manage every file).
    shown = visible_to(CaseFile, request.user).select_related("unit", "retention").order_by("year", "code")
    transfers = visible_to(Transfer, request.user).select_related("transferred_by").prefetch_related(
        Prefetch("files", queryset=shown, to_attr="visible_files"))[:200]
    return render(request, "archive/archive.html", {"transfers": transfers, "done": ArchivalStatus.DONE})


@login_required
def past_retention(request: HttpRequest) -> HttpResponse:
    if not _may_use_files(request.user):
        return render(request, "archive/forbidden.html", status=403)
    return render(request, "archive/past_retention.html",
                  {"files": services.files_past_retention(request.user)[:1000]})


@login_required
def archived_file(request: HttpRequest, pk: int) -> FileResponse:
    """Download an archival (B-LTA) version: only for someone who may see the file and the document."""
    from search.indexing import get_source

    version = get_object_or_404(visible_to(ArchivedVersion, request.user).select_related("archived"), pk=pk)
    source = get_source(version.kind)
    if version.archived is None or not visible_to(source.queryset().model, request.user).filter(
            pk=version.document_id).exists():
        raise Http404
    stored = version.archived
    response = FileResponse(stored.file.open("rb"), content_type=stored.content_type, filename=stored.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
