"""Ủy quyền: the person's delegations, made and revoked through :mod:`eoffice.work.delegations`."""

from django.urls import path

from . import views

app_name = "delegations"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/thu-hoi/", views.revoke, name="revoke"),
]
