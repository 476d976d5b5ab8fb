"""The URL configuration of the pages, included at the root by ``eoffice/urls.py``."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .incoming import views as incoming_views

urlpatterns = [
    path("", views.home, name="home"),
    path("dang-nhap/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("viec-can-xu-ly/", views.inbox, name="module-tasks"),
    path("van-ban-den/", incoming_views.index, name="module-incoming"),
    path("van-ban-den/", include("eoffice.pages.incoming.urls")),
    path("van-ban-di/", include("eoffice.pages.outgoing.urls")),
    path("ho-so/", include("eoffice.pages.archive.urls")),
    path("tra-cuu/", include("eoffice.pages.search.urls")),
    path("bao-cao/", include("eoffice.pages.reports.urls")),  # module-reports: the statistics page
    path("uy-quyen/", include("eoffice.pages.delegations.urls")),  # delegations: made through their actions
    path("lien-thong/", include("eoffice.pages.interchange.urls")),  # edXML endpoint for peer systems
]
