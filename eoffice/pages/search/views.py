"""The search page (tra cứu): query box, facets with counts, highlighted snippets, filters, paging, file tree.

Permissions are the engine's business: the viewer's tokens (:func:`search.indexing.viewer_for`) are part of the
query, so hits, totals, facets and snippets only ever come from documents the person may see.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

import search
from search import FILTER_FIELDS, PAGE_FACETS
from search.indexing import viewer_for
from search.params import SearchRequestError, hit_link, parse_params

PAGE_SIZE = 20
FACET_LABELS = {
    "year": _("Năm"), "doc_type": _("Loại văn bản"), "issuer": _("Cơ quan ban hành"), "signer": _("Người ký"),
    "unit": _("Đơn vị"), "file": _("Hồ sơ"), "urgency": _("Độ khẩn"), "status": _("Trạng thái"),
}


def _file_tree(person, link) -> list[dict[str, Any]]:
    """Agency → unit → year → file, of the files the person may see."""
    from eoffice.archive.models import CaseFile
    from eoffice.orgs.scoping import visible_to

    tree: dict[Any, dict] = {}
    files = visible_to(CaseFile, person).select_related("agency", "unit").order_by(
        "agency__name", "unit__name", "-year", "code")[:2000]
    for case_file in files:
        agency = tree.setdefault(case_file.agency_id, {"name": case_file.agency.name, "units": {}})
        unit = agency["units"].setdefault(case_file.unit_id, {"name": case_file.unit.name, "years": {}})
        label = f"{case_file.code} — {case_file.title}"  # the "file" value of the indexed documents
        unit["years"].setdefault(case_file.year, []).append(
            {"label": label, "url": link(file=label, page=None), "pk": case_file.pk})
    return [{"name": a["name"], "units": [{"name": u["name"], "years": sorted(u["years"].items(), reverse=True)}
                                          for u in a["units"].values()]} for a in tree.values()]


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    error = None
    try:
        query, filters, page = parse_params(request.GET, getlist=request.GET.getlist)
    except SearchRequestError as exc:
        error, query, filters, page = exc.message, (request.GET.get("q") or "").strip(), {}, 1
    result = search.search(query, viewer_for(request.user), filters=filters, page=page, page_size=PAGE_SIZE,
                           facets=PAGE_FACETS)
    hits = []
    for hit in result.hits:
        url, kind = hit_link(hit.id)
        hits.append({"hit": hit, "url": url, "kind": kind, "fields": hit.fields})
    base = {key: value for key, value in request.GET.lists() if key != "page"}

    def link(**change: Any) -> str:
        params = {k: list(v) for k, v in base.items()}
        for key, value in change.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = [str(value)]
        return "?" + urlencode(params, doseq=True)

    facets = []
    for field in PAGE_FACETS:
        values = result.facets.get(field) or []
        if not values:
            continue
        active = {str(v) for v in request.GET.getlist(field)}
        facets.append({"field": field, "label": FACET_LABELS[field], "values": [
            {"value": value, "count": count, "active": str(value) in active,
             "url": link(**{field: None if str(value) in active else value})}
            for value, count in values[:15]]})
    return render(request, "search/search.html", {
        "query": query, "result": result, "start": (result.page - 1) * PAGE_SIZE + 1, "hits": hits, "facets": facets, "error": error,
        "active_filters": [{"label": FACET_LABELS.get(k, k), "value": v, "url": link(**{k: None})}
                           for k, v in filters.items()],
        "previous_url": link(page=result.page - 1) if result.has_previous else "",
        "next_url": link(page=result.page + 1) if result.has_next else "",
        "tree": _file_tree(request.user, link),
        "filter_fields": [(f, FACET_LABELS[f], request.GET.get(f, "")) for f in FILTER_FIELDS],
    }, status=400 if error else 200)
