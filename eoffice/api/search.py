"""``GET /api/v1/search/``: the search page's query for programs (hits, total, facets, paging)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import search
from eoffice.core.errors import DomainError
from search import FACET_FIELDS, FILTER_FIELDS
from search._text import MAX_PAGE_SIZE
from search.indexing import viewer_for
from search.params import SearchRequestError, hit_link, parse_params


class HitSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Mã trong chỉ mục, ví dụ in:12 (văn bản đến có mã 12).")
    kind = serializers.CharField()
    url = serializers.CharField()
    score = serializers.FloatField()
    summary_html = serializers.CharField(help_text="Trích yếu đã thoát HTML, <mark> quanh từ khớp.")
    body_html = serializers.CharField(help_text="Đoạn nội dung khớp, đã thoát HTML.")
    fields = serializers.DictField()


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    count = serializers.IntegerField()


class SearchResultSerializer(serializers.Serializer):
    query = serializers.CharField()
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    hits = HitSerializer(many=True)
    facets = serializers.DictField(child=FacetValueSerializer(many=True))


class SearchView(APIView):
    """Full-text search of the documents the caller may see, with and without Vietnamese diacritics."""

    @extend_schema(
        operation_id="search",
        parameters=[
            OpenApiParameter("q", str, description="Từ khóa; \"cụm từ\" trong ngoặc kép; có dấu hoặc không dấu."),
            *[OpenApiParameter(f, int if f == "year" else str, many=True, description="Lọc (lặp lại để chọn nhiều)")
              for f in FILTER_FIELDS],
            OpenApiParameter("date_from", OpenApiTypes.DATE), OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter("facets", str, many=True, description=f"Các trường đếm: {', '.join(FACET_FIELDS)}"),
            OpenApiParameter("page", int), OpenApiParameter("page_size", int,
                                                            description=f"Tối đa {MAX_PAGE_SIZE}."),
        ],
        responses={200: SearchResultSerializer},
    )
    def get(self, request: Request) -> Response:
        try:
            query, filters, page = parse_params(request.query_params, getlist=request.query_params.getlist)
        except SearchRequestError as error:
            raise DomainError(error.message, code="invalid_parameter", details={"field": error.field}) from None
        try:
            page_size = int(request.query_params.get("page_size") or 20)
        except ValueError:
            raise DomainError("Số văn bản mỗi trang phải là một số.", code="invalid_parameter",
                              details={"field": "page_size"}) from None
        facets = request.query_params.getlist("facets") or list(search.DEFAULT_FACETS)
        unknown = [f for f in facets if f not in FACET_FIELDS]
        if unknown:
            raise DomainError("Trường đếm không hợp lệ.", code="invalid_parameter",
                              details={"field": "facets", "values": unknown})
        result = search.search(query, viewer_for(request.user), filters=filters, page=page,
                               page_size=page_size, facets=facets)
        hits = []
        for hit in result.hits:
            url, kind = hit_link(hit.id)
            fields = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in hit.fields.items()}
            hits.append({"id": hit.id, "kind": str(kind), "url": url, "score": hit.score,
                         "summary_html": hit.summary_html, "body_html": hit.body_html, "fields": fields})
        return Response({
            "query": query, "total": result.total, "page": result.page, "pages": result.pages,
            "page_size": result.page_size, "hits": hits,
            "facets": {f: [{"value": v, "count": c} for v, c in values] for f, values in result.facets.items()},
        })
