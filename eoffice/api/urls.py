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
