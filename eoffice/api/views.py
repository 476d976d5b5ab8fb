"""API v1 for the organisation model. Every queryset goes through ``visible_to``."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.reverse import reverse

from eoffice.orgs.models import Agency, Delegation, Person, Role, Unit
from eoffice.orgs.navigation import navigation_for
from eoffice.orgs.scoping import visible_to

from .serializers import AgencySerializer, DelegationSerializer, PersonSerializer, UnitSerializer


class ScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """Read-only viewset whose rows are always limited to what the requesting person may see."""

    def get_queryset(self):
        return visible_to(super().get_queryset(), self.request.user)


class AgencyViewSet(ScopedViewSet):
    """The directory of agencies (public information, needed to address dispatches)."""

    queryset = Agency.objects.filter(is_active=True).order_by("code")
    serializer_class = AgencySerializer
    filterset_fields = ["kind", "parent", "code"]


class UnitViewSet(ScopedViewSet):
    queryset = Unit.objects.order_by("agency__code", "name")
    serializer_class = UnitSerializer
    filterset_fields = ["agency", "is_active"]


class PersonViewSet(ScopedViewSet):
    queryset = (
        Person.objects.select_related("position")
        .prefetch_related(Prefetch("roles", queryset=Role.objects.only("code")))
        .order_by("full_name", "username")
    )
    serializer_class = PersonSerializer
    filterset_fields = ["unit", "is_active"]


class DelegationViewSet(ScopedViewSet):
    queryset = Delegation.objects.order_by("-starts_at")
    serializer_class = DelegationSerializer


@extend_schema(responses=PersonSerializer)
@api_view(["GET"])
def me(request):
    """The signed-in person, with their roles and the navigation they get."""
    data = PersonSerializer(request.user).data
    data["navigation"] = [{"key": item.key, "label": str(item.label)} for item in navigation_for(request.user)]
    return Response(data)


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
