from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("agencies", views.AgencyViewSet)
router.register("units", views.UnitViewSet)
router.register("people", views.PersonViewSet)
router.register("delegations", views.DelegationViewSet)

urlpatterns = [
    path("", views.root, name="api-root"),
    path("me/", views.me, name="api-me"),
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("", include(router.urls)),
]

# Incoming dispatches (văn bản đến).
from eoffice.incoming.api import IncomingDocumentViewSet, MyTaskViewSet, ReceiptViewSet  # noqa: E402

incoming_router = SimpleRouter()  # its own router: the one above has already built its URL list
incoming_router.register("incoming-documents", IncomingDocumentViewSet, basename="incoming-document")
incoming_router.register("incoming-receipts", ReceiptViewSet, basename="incoming-receipt")
incoming_router.register("my-tasks", MyTaskViewSet, basename="my-task")
urlpatterns.append(path("", include(incoming_router.urls)))
