"""The search page, mounted at ``tra-cuu/`` by ``eoffice/pages/urls.py`` (its empty path is ``module-search``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.search_page, name="module-search"),
]
