"""API v1 for incoming dispatches: documents, receipts, my tasks and their actions. Translates to services."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from eoffice.documents.models import Channel, Confidentiality, DocumentType, Urgency
from eoffice.orgs.models import Person, Unit
from eoffice.orgs.scoping import visible_to

from . import services
from .models import IncomingDocument, Receipt, ReceiptStatus, WorkItem, WorkKind
from .services import IncomingError, ReceiptMetadata


class IncomingDocumentSerializer(serializers.ModelSerializer):
    document_type = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = IncomingDocument
        fields = ["id", "arrival_number", "year", "series_code", "arrived_at", "channel", "issuer_name",
                  "number_notation", "issued_on", "document_type", "summary", "signer_name", "signer_position",
                  "urgency", "confidentiality", "deadline", "due_on", "status", "lead_unit", "copy_notation",
                  "validation_status", "validation_summary", "completed_at", "registered_at"]


class RegisterSerializer(serializers.Serializer):
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


class ReceiptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Receipt
        fields = ["id", "source", "source_ref", "status", "channel", "received_at", "issuer_name",
                  "number_notation", "issued_on", "summary", "urgency", "confidentiality", "deadline",
                  "validation_status", "validation_summary", "duplicate_of", "reason"]


class WorkItemSerializer(serializers.ModelSerializer):
    document = IncomingDocumentSerializer(read_only=True)

    class Meta:
        model = WorkItem
        fields = ["id", "kind", "status", "urgency", "deadline", "person", "created_at", "document"]


class TaskActionSerializer(serializers.Serializer):
    """One action on a work item, as the document page offers them.

    The owner's step: ``instruct``, ``propose``, ``send_back``, ``represent``, ``assign``, ``finish``,
    ``give_input``, ``mark_read``. On any step of a document the caller may see: ``reassign`` (a leader, or the
    unit head for the handling steps of their unit), ``take_back`` (a leader), ``extend`` (a leader: the document's
    deadline, ``deadline`` the new one and ``text`` the reason). The services decide who may; a refusal is a
    structured 4xx and changes nothing.
    """

    action = serializers.ChoiceField(choices=["instruct", "propose", "send_back", "represent", "assign", "finish",
                                              "give_input", "mark_read", "reassign", "take_back", "extend"])
    text = serializers.CharField(required=False, allow_blank=True, default="",
                                 help_text="Nội dung; lý do khi trả lại, chuyển, thu hồi hoặc gia hạn.")
    lead_unit = serializers.IntegerField(required=False)
    supporting_units = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    info_units = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    info_people = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    deadline = serializers.DateField(required=False, allow_null=True,
                                     help_text="Hạn xử lý (instruct); hạn xử lý mới (extend).")
    main_handler = serializers.IntegerField(required=False)
    co_handlers = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    to = serializers.IntegerField(required=False, help_text="Người nhận việc (reassign).")
    draft_reply = serializers.BooleanField(default=False)


class ReturnSerializer(serializers.Serializer):
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
        return Response(ReceiptSerializer(receipt).data)


class MyTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Việc cần xử lý of the caller (and of those they stand in for), and the actions on them."""

    serializer_class = WorkItemSerializer
    queryset = WorkItem.objects.all()
    filterset_fields = ["kind", "urgency"]

    def get_queryset(self):
        user = self.request.user
        inbox = services.inbox_items(user)
        if self.action == "act":
            # As on the document page: besides one's own steps, the steps of the documents one may see, so that a
            # unit head can reassign a specialist's step and a leader take one back or extend the deadline. The
            # services decide who may do what (a refusal is a structured 403, nothing changes).
            return WorkItem.objects.filter(
                Q(pk__in=inbox.values("pk")) | Q(pk__in=visible_to(WorkItem, user).values("pk"))
            ).select_related("document", "person")
        return inbox.order_by("-urgency_rank", "deadline", "-created_at")

    @extend_schema(request=TaskActionSerializer, responses={200: WorkItemSerializer})
    @action(detail=True, methods=["post"])
    def act(self, request, pk=None):
        """Carry out an action on a step. Answers the step as it is afterwards; for ``reassign`` and
        ``take_back``, the new step of the person who now has the work."""
        item = self.get_object()
        data = TaskActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = request.user
        units = visible_to(Unit, user)
        people = visible_to(Person, user)

        def unit(pk_):
            return get_object_or_404(units, pk=pk_)

        def person(pk_):
            return get_object_or_404(people, pk=pk_)

        name = v["action"]
        if name == "instruct":
            if "lead_unit" not in v:
                raise IncomingError("Cần chọn đơn vị xử lý chính.", code="missing_field",
                                    details={"field": "lead_unit"})
            services.instruct(item, user, text=v["text"], lead_unit=unit(v["lead_unit"]),
                              supporting_units=[unit(u) for u in v["supporting_units"]],
                              info_units=[unit(u) for u in v["info_units"]],
                              info_people=[person(p) for p in v["info_people"]], deadline=v.get("deadline"),
                              request=request)
        elif name == "propose":
            services.propose(item, user, text=v["text"], request=request)
        elif name == "send_back":
            services.send_back(item, user, reason=v["text"], request=request)
        elif name == "represent":
            services.represent(item, user, request=request)
        elif name == "assign":
            if "main_handler" not in v:
                raise IncomingError("Cần chọn chuyên viên xử lý chính.", code="missing_field",
                                    details={"field": "main_handler"})
            services.assign_handlers(item, user, main_handler=person(v["main_handler"]),
                                     co_handlers=[person(p) for p in v["co_handlers"]], note=v["text"],
                                     request=request)
        elif name == "finish":
            services.finish_handling(item, user, result=v["text"], draft_reply=v["draft_reply"], request=request)
        elif name == "give_input":
            services.give_input(item, user, text=v["text"], request=request)
        elif name == "mark_read":
            services.mark_read(item, user, request=request)
        elif name == "reassign":
            if "to" not in v:
                raise IncomingError("Cần chọn người nhận việc.", code="missing_field", details={"field": "to"})
            item = services.reassign(item, user, to=person(v["to"]), reason=v["text"], request=request)
        elif name == "take_back":
            item = services.take_back(item, user, reason=v["text"], request=request)
        elif name == "extend":
            if not v.get("deadline"):
                raise IncomingError("Cần chọn hạn xử lý mới.", code="missing_field", details={"field": "deadline"})
            services.extend_deadline(item.document, user, new_deadline=v["deadline"], reason=v["text"],
                                     request=request)
        item.refresh_from_db()
        return Response(WorkItemSerializer(item).data)


__all__ = ["IncomingDocumentViewSet", "MyTaskViewSet", "ReceiptStatus", "ReceiptViewSet", "WorkKind"]
