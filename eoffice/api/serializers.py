from rest_framework import serializers

from eoffice.orgs.models import Agency, Delegation, Person, Position, Unit


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "code", "name", "abbreviation", "kind", "parent", "place_name", "address", "email", "phone"]


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "agency", "name", "abbreviation", "is_active"]


class PositionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Position
        fields = ["id", "name", "rank"]


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
