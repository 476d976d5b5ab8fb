"""API v1 for incoming dispatches: documents and receipts, and their actions. Translates to services.

What the caller may do (a document's ``actions``, a receipt's ``actions``) is :mod:`eoffice.incoming.policy`'s
answer, the one the document page shows and the services enforce."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from eoffice.api.fields import InputSerializer
from eoffice.api.parsers import BoundedJSONParser as JSONParser
from eoffice.api.parsers import NFCFormParser as FormParser
from eoffice.api.parsers import NFCMultiPartParser as MultiPartParser
from eoffice.documents.models import Channel, Confidentiality, DocumentType, Urgency
from eoffice.incoming import policy, services
from eoffice.incoming.models import IncomingDocument, Receipt, WorkItem, WorkStatus
from eoffice.incoming.services import ReceiptMetadata
from eoffice.orgs.models import Person
from eoffice.orgs.scoping import visible_to


class IncomingDocumentSerializer(serializers.ModelSerializer):
    document_type = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = IncomingDocument
        fields = ["id", "arrival_number", "year", "series_code", "arrived_at", "channel", "issuer_name",
                  "number_notation", "issued_on", "document_type", "summary", "signer_name", "signer_position",
                  "urgency", "confidentiality", "deadline", "due_on", "status", "lead_unit", "copy_notation",
                  "validation_status", "validation_summary", "completed_at", "registered_at"]


class StepActionsSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Mã việc, cho /my-tasks/{id}/act/.")
    kind = serializers.CharField()
    person = serializers.IntegerField()
    act = serializers.BooleanField(help_text="Thực hiện bước này (việc của mình hoặc của người mình được ủy quyền).")
    send_back = serializers.BooleanField()
    draft_reply = serializers.BooleanField()
    reassign = serializers.BooleanField()
    take_back = serializers.BooleanField()


class DocumentActionsSerializer(serializers.Serializer):
    extend = serializers.BooleanField(help_text="Gia hạn xử lý.")
    steps = StepActionsSerializer(many=True, help_text="Các việc đang mở mà người gọi có thể làm gì đó.")


class IncomingDocumentDetailSerializer(IncomingDocumentSerializer):
    """One document, with what the caller may do on it now (as the document page offers)."""

    actions = serializers.SerializerMethodField()

    class Meta(IncomingDocumentSerializer.Meta):
        fields = [*IncomingDocumentSerializer.Meta.fields, "actions"]

    @extend_schema_field(DocumentActionsSerializer)
    def get_actions(self, document) -> dict:
        person = self.context["request"].user
        delegators = person.acting_for()
        steps = []
        for item in document.work_items.filter(status=WorkStatus.OPEN).order_by("created_at"):
            offered = policy.actions(person, item, delegators=delegators)
            if any(offered.values()):
                steps.append({"id": item.pk, "kind": item.kind, "person": item.person_id, **offered})
        return {**policy.document_actions(person, document, delegators=delegators), "steps": steps}


class RegisterSerializer(InputSerializer):
    file = serializers.FileField()
    channel = serializers.ChoiceField(choices=[Channel.PAPER, Channel.EMAIL])
    scanned_paper = serializers.BooleanField(default=False)
    issuer_name = serializers.CharField(max_length=255)
    number_notation = serializers.CharField(max_length=100)
    issued_on = serializers.DateField()
    document_type = serializers.SlugRelatedField(slug_field="code", queryset=DocumentType.objects.all(),
                                                 required=False, allow_null=True)
    summary = serializers.CharField()
    signer_name = serializers.CharField(required=False, allow_blank=True, default="")
    signer_position = serializers.CharField(required=False, allow_blank=True, default="")
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, default=Confidentiality.NORMAL)
    deadline = serializers.DateField(required=False, allow_null=True)
    leader = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)

    class Meta:
        bound_models = (IncomingDocument,)


class ReceiptSerializer(serializers.ModelSerializer):
    actions = serializers.SerializerMethodField(help_text="Vào sổ, trả lại: văn thư của cơ quan nhận.")
    duplicate_of = serializers.SerializerMethodField(
        help_text="Văn bản đã vào sổ mà văn bản này trùng, nếu người hỏi được xem văn bản đó; null nếu không.")
    is_duplicate = serializers.SerializerMethodField(
        help_text="Văn bản này trùng với một văn bản đã vào sổ (kể cả văn bản người hỏi không được xem).")

    class Meta:
        model = Receipt
        fields = ["id", "source", "source_ref", "status", "channel", "received_at", "issuer_name",
                  "number_notation", "issued_on", "summary", "urgency", "confidentiality", "deadline",
                  "validation_status", "validation_summary", "duplicate_of", "is_duplicate", "reason", "actions"]

    def _duplicate(self, receipt) -> dict | None:
        # What the caller may learn of the earlier document: its id only when visible_to shows it to them.
        return services.duplicate_as_seen_by(receipt.duplicate_of, self.context["request"].user)

    def get_duplicate_of(self, receipt) -> int | None:
        seen = self._duplicate(receipt)
        return seen["id"] if seen and seen["visible"] else None

    def get_is_duplicate(self, receipt) -> bool:
        return receipt.duplicate_of_id is not None

    @extend_schema_field(inline_serializer("ReceiptActions", fields={
        "register": serializers.BooleanField(), "return": serializers.BooleanField()}))
    def get_actions(self, receipt) -> dict:
        return policy.receipt_actions(self.context["request"].user, receipt)


class WorkItemSerializer(serializers.ModelSerializer):
    document = IncomingDocumentSerializer(read_only=True)

    class Meta:
        model = WorkItem
        fields = ["id", "kind", "status", "urgency", "deadline", "person", "created_at", "document"]


class ReturnSerializer(InputSerializer):
    reason = serializers.CharField()


class IncomingDocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Văn bản đến: list, retrieve, register from an upload."""

    serializer_class = IncomingDocumentSerializer
    queryset = IncomingDocument.objects.all()
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filterset_fields = ["year", "series_code", "status", "urgency", "channel"]

    def get_queryset(self):
        return visible_to(IncomingDocument, self.request.user).select_related("document_type").order_by(
            "-registered_at", "-pk")

    def get_serializer_class(self):
        return IncomingDocumentDetailSerializer if self.action == "retrieve" else IncomingDocumentSerializer

    @extend_schema(request=RegisterSerializer, responses={201: IncomingDocumentSerializer})
    def create(self, request):
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        upload = v["file"]
        document = services.register_incoming(
            request.user, files=[(upload.name, upload.read())], channel=v["channel"],
            scanned_paper=v["scanned_paper"], present_to=v.get("leader"), request=request,
            metadata=ReceiptMetadata(issuer_name=v["issuer_name"], number_notation=v["number_notation"],
                                     issued_on=v["issued_on"], summary=v["summary"],
                                     document_type=v.get("document_type"), signer_name=v["signer_name"],
                                     signer_position=v["signer_position"], urgency=v["urgency"],
                                     confidentiality=v["confidentiality"], deadline=v.get("deadline")))
        return Response(IncomingDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class ReceiptViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Văn bản điện tử chờ tiếp nhận: list, register, return with a reason."""

    serializer_class = ReceiptSerializer
    queryset = Receipt.objects.all()
    filterset_fields = ["status"]

    def get_queryset(self):
        return visible_to(Receipt, self.request.user).order_by("-received_at")

    @extend_schema(request=None, responses={201: IncomingDocumentSerializer})
    @action(detail=True, methods=["post"])
    def register(self, request, pk=None):
        receipt = self.get_object()
        document = services.register_incoming(request.user, receipt=receipt, request=request)
        return Response(IncomingDocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReturnSerializer, responses={200: ReceiptSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        receipt = self.get_object()
        data = ReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        receipt = services.return_receipt(receipt, request.user, reason=data.validated_data["reason"],
                                          request=request)
        return Response(ReceiptSerializer(receipt, context=self.get_serializer_context()).data)
