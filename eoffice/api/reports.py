"""API of the reports app: ``GET /api/v1/reports/incoming-statistics/``.

Query: ``from``/``to`` (ISO dates; or ``nam`` with ``quy``/``thang``), optionally ``agency`` (operator only),
``unit``, ``person`` and ``group_by`` (``unit`` | ``person`` | ``none``). Scope and definitions: see
:mod:`eoffice.reports.statistics`. Errors are structured 4xx (``invalid_date``, ``invalid_period``,
``permission_denied``, ``not_found``).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eoffice.core.params import ParameterError, parse_optional_id
from eoffice.reports.statistics import ReportError, incoming_statistics, parse_period, resolve_scope


def _int_param(request: Request, name: str) -> int | None:
    try:
        return parse_optional_id(request.query_params.get(name), name=name)
    except ParameterError:
        raise ReportError(f"Tham số {name} phải là mã số hợp lệ.", code="invalid", details={"param": name}) from None


_counts = inline_serializer("IncomingCounts", fields={
    "label": serializers.CharField(), "key": serializers.CharField(),
    **{name: serializers.IntegerField() for name in (
        "received_online", "received_paper", "carried_over", "received_total", "received_electronic",
        "handled_on_time", "handled_late", "handled_total", "in_progress_on_time", "in_progress_overdue",
        "in_progress_total")},
    **{name: serializers.FloatField(allow_null=True) for name in ("late_rate", "on_time_rate", "electronic_share")},
})


class IncomingStatisticsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Thống kê tình hình tiếp nhận, giải quyết văn bản đến",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE), OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("nam", OpenApiTypes.INT), OpenApiParameter("quy", OpenApiTypes.INT),
            OpenApiParameter("thang", OpenApiTypes.INT), OpenApiParameter("agency", OpenApiTypes.INT),
            OpenApiParameter("unit", OpenApiTypes.INT), OpenApiParameter("person", OpenApiTypes.INT),
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=["unit", "person", "none"]),
        ],
        responses=inline_serializer("IncomingStatistics", fields={
            "scope": serializers.DictField(), "period": serializers.DictField(),
            "measured_on": serializers.DateField(), "total": _counts, "group_by": serializers.CharField(),
            "rows": serializers.ListField(child=_counts),
        }),
    )
    def get(self, request: Request) -> Response:
        period = parse_period(request.query_params)
        scope = resolve_scope(request.user, agency=_int_param(request, "agency"), unit=_int_param(request, "unit"),
                              subject=_int_param(request, "person"))
        group_by = request.query_params.get("group_by") or None
        if group_by not in (None, "unit", "person", "none"):
            raise ReportError("group_by phải là unit, person hoặc none.", code="invalid",
                              details={"param": "group_by"})
        statistics = incoming_statistics(scope, period, group_by="" if group_by == "none" else group_by)
        return Response(statistics.to_dict())
