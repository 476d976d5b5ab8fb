"""URL configuration: the UI, the admin, and the REST API v1 with its OpenAPI schema and docs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from eoffice.incoming import views as incoming_views
from eoffice.orgs import views as org_views

urlpatterns = [
    path("", org_views.home, name="home"),
    path("dang-nhap/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("viec-can-xu-ly/", incoming_views.inbox, name="module-tasks"),
    path("van-ban-den/", incoming_views.index, name="module-incoming"),
    path("van-ban-den/", include("eoffice.incoming.urls")),
    path("van-ban-di/", include("eoffice.outgoing.urls")),
    path("ho-so/", include("eoffice.archive.urls")),
    path("tra-cuu/", include("search.urls")),
    path("bao-cao/", include("eoffice.reports.urls")),  # module-reports: the statistics page
    path("lien-thong/", include("eoffice.interchange.urls")),  # edXML endpoint for peer systems
    path("i18n/", include("django.conf.urls.i18n")),
    path("quan-tri/", admin.site.urls),
    path("api/v1/", include("eoffice.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
