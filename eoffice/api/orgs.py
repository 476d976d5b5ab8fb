"""API v1 for the organisation model, and ``me``. Every queryset goes through ``visible_to``."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.response import Response

from eoffice.api.fields import InputSerializer
from eoffice.orgs.models import Agency, Delegation, Person, Role, Unit
from eoffice.orgs.navigation import navigation_for
from eoffice.orgs.scoping import visible_to
from eoffice.work import delegations


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "code", "name", "abbreviation", "kind", "parent", "place_name", "address", "email", "phone"]


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "agency", "name", "abbreviation", "is_active"]


class PersonSerializer(serializers.ModelSerializer):
    roles = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    position = serializers.StringRelatedField()

    class Meta:
        model = Person
        fields = ["id", "username", "full_name", "email", "phone", "agency", "unit", "position", "roles", "is_active"]


class DelegationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Delegation
        fields = ["id", "delegator", "delegate", "starts_at", "ends_at", "reason", "revoked_at"]


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


class DelegationInputSerializer(InputSerializer):
    delegator = serializers.IntegerField(help_text="Người ủy quyền (chính người gọi, hoặc do lãnh đạo cơ quan lập).")
    delegate = serializers.IntegerField(help_text="Người được ủy quyền, cùng cơ quan.")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class DelegationViewSet(ScopedViewSet):
    """Ủy quyền of the caller's agency. Creating and revoking go through the actions of
    :mod:`eoffice.work.delegations` (the delegator's own act, or a leader's; audited; both people told)."""

    queryset = Delegation.objects.order_by("-starts_at")
    serializer_class = DelegationSerializer

    @extend_schema(request=DelegationInputSerializer, responses={201: DelegationSerializer})
    def create(self, request):
        data = DelegationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        people = visible_to(Person, request.user)
        delegation = delegations.create_delegation(
            request.user, delegator=get_object_or_404(people, pk=v["delegator"]),
            delegate=get_object_or_404(people, pk=v["delegate"]), starts_at=v["starts_at"], ends_at=v["ends_at"],
            reason=v["reason"], request=request)
        return Response(DelegationSerializer(delegation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=DelegationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        delegation = delegations.revoke_delegation(request.user, self.get_object(), request=request)
        return Response(DelegationSerializer(delegation).data)


@extend_schema(responses=PersonSerializer)
@api_view(["GET"])
def me(request):
    """The signed-in person, with their roles and the navigation they get."""
    data = PersonSerializer(request.user).data
    data["navigation"] = [{"key": item.key, "label": str(item.label)} for item in navigation_for(request.user)]
    return Response(data)
