"""API v1: one router for every collection, plus the few endpoints that are not collections."""

from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import SimpleRouter

from eoffice.incoming.api import IncomingDocumentViewSet, MyTaskViewSet, ReceiptViewSet
from eoffice.outgoing.api import OutgoingDocumentViewSet, OutgoingRegisterViewSet
from eoffice.reports.api import IncomingStatisticsView
from search.api import SearchView

from . import views

router = SimpleRouter()
# Organisation
router.register("agencies", views.AgencyViewSet)
router.register("units", views.UnitViewSet)
router.register("people", views.PersonViewSet)
router.register("delegations", views.DelegationViewSet)
# Incoming dispatches (văn bản đến)
router.register("incoming-documents", IncomingDocumentViewSet, basename="incoming-document")
router.register("incoming-receipts", ReceiptViewSet, basename="incoming-receipt")
router.register("my-tasks", MyTaskViewSet, basename="my-task")
# Outgoing dispatches (văn bản đi) and the outgoing register
router.register("outgoing-documents", OutgoingDocumentViewSet, basename="outgoing-document")
router.register("outgoing-register", OutgoingRegisterViewSet, basename="outgoing-register")

urlpatterns = [
    path("", views.root, name="api-root"),
    path("me/", views.me, name="api-me"),
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("reports/incoming-statistics/", IncomingStatisticsView.as_view(), name="reports-incoming-statistics"),
    path("search/", SearchView.as_view(), name="api-search"),
    path("", include(router.urls)),
]
