"""``{% file_control kind document %}``: the "Lập hồ sơ / Đưa vào hồ sơ" box of a document page."""

from __future__ import annotations

from django import template

from eoffice.orgs.scoping import visible_to

register = template.Library()


@register.inclusion_tag("archive/file_control_box.html", takes_context=True)
def file_control(context, kind: str, document) -> dict:
    from eoffice.archive.models import CaseFile, FileEntry, FileStatus
    from eoffice.archive.services import _may_edit

    request = context.get("request")
    person = getattr(request, "user", None)
    entry = FileEntry.objects.filter(kind=kind, document_id=document.pk).select_related("case_file").first()
    open_files = []
    if entry is None and person is not None and person.is_authenticated:
        candidates = visible_to(CaseFile, person).filter(status=FileStatus.OPEN, agency_id=document.agency_id)
        open_files = [f for f in candidates.select_related("unit").order_by("-year", "code")[:200]
                      if _may_edit(person, f)]
    current = entry.case_file if entry is not None and person is not None and \
        visible_to(CaseFile, person).filter(pk=entry.case_file_id).exists() else None
    return {"kind": kind, "document": document, "entry": entry, "current": current, "open_files": open_files,
            "next": request.get_full_path() if request is not None else "", "csrf_token": context.get("csrf_token")}
