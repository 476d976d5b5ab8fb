"""API v1: one router for every collection, plus the few endpoints that are not collections."""

from django.urls import include, path
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import SimpleRouter

from . import orgs
from .incoming import IncomingDocumentViewSet, ReceiptViewSet
from .outgoing import OutgoingDocumentViewSet, OutgoingRegisterViewSet
from .reports import IncomingStatisticsView
from .search import SearchView
from .work import MyTaskViewSet

router = SimpleRouter()
# Organisation
router.register("agencies", orgs.AgencyViewSet)
router.register("units", orgs.UnitViewSet)
router.register("people", orgs.PersonViewSet)
router.register("delegations", orgs.DelegationViewSet)
# Incoming dispatches (văn bản đến)
router.register("incoming-documents", IncomingDocumentViewSet, basename="incoming-document")
router.register("incoming-receipts", ReceiptViewSet, basename="incoming-receipt")
# Việc cần xử lý, both directions
router.register("my-tasks", MyTaskViewSet, basename="my-task")
# Outgoing dispatches (văn bản đi) and the outgoing register
router.register("outgoing-documents", OutgoingDocumentViewSet, basename="outgoing-document")
router.register("outgoing-register", OutgoingRegisterViewSet, basename="outgoing-register")


@extend_schema(exclude=True)
@api_view(["GET"])
def root(request, format=None):
    """API v1: links to every collection."""
    return Response(
        {
            "me": reverse("api-me", request=request, format=format),
            "agencies": reverse("agency-list", request=request, format=format),
            "units": reverse("unit-list", request=request, format=format),
            "people": reverse("person-list", request=request, format=format),
            "delegations": reverse("delegation-list", request=request, format=format),
            "incoming_documents": reverse("incoming-document-list", request=request, format=format),
            "incoming_receipts": reverse("incoming-receipt-list", request=request, format=format),
            "my_tasks": reverse("my-task-list", request=request, format=format),
            "outgoing_documents": reverse("outgoing-document-list", request=request, format=format),
            "outgoing_register": reverse("outgoing-register-list", request=request, format=format),
            "incoming_statistics": reverse("reports-incoming-statistics", request=request, format=format),
            "search": reverse("api-search", request=request, format=format),
            "token": reverse("api-token", request=request, format=format),
            "schema": reverse("api-schema", request=request, format=format),
            "docs": reverse("api-docs", request=request, format=format),
        }
    )


urlpatterns = [
    path("", root, name="api-root"),
    path("me/", orgs.me, name="api-me"),
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("reports/incoming-statistics/", IncomingStatisticsView.as_view(), name="reports-incoming-statistics"),
    path("search/", SearchView.as_view(), name="api-search"),
    path("", include(router.urls)),
]
