"""API v1 for outgoing dispatches: drafts, versions, every step of the flow, two-step signing, deliveries, recall,
replacement, and the outgoing register (JSON, PDF, XLSX). Every queryset goes through ``visible_to``; every
change goes through :mod:`eoffice.outgoing.services`.
"""

from __future__ import annotations

import base64
import binascii

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from eoffice.api.fields import InputSerializer
from eoffice.api.parsers import BoundedJSONParser as JSONParser
from eoffice.api.parsers import NFCFormParser as FormParser
from eoffice.api.parsers import NFCMultiPartParser as MultiPartParser
from eoffice.core.errors import DomainError
from eoffice.core.params import parse_code, parse_year, safe_filename
from eoffice.documents.models import Confidentiality, Urgency
from eoffice.documents.services import OUTGOING_SERIES
from eoffice.orgs.models import Unit
from eoffice.orgs.scoping import visible_to
from eoffice.outgoing import batch as batches
from eoffice.outgoing import register, services
from eoffice.outgoing.models import Capacity, Delivery, DeliveryEvent, DraftVersion, Opinion, OutgoingDocument


class VersionSerializer(serializers.ModelSerializer):
    file_sha256 = serializers.CharField(source="file.sha256", default=None, read_only=True)
    source_sha256 = serializers.CharField(source="source.sha256", default=None, read_only=True)

    class Meta:
        model = DraftVersion
        fields = ["id", "seq", "kind", "conversion", "error", "file_sha256", "source_sha256", "created_at"]


class OpinionSerializer(serializers.ModelSerializer):
    person = serializers.CharField(source="person.get_full_name", read_only=True)
    on_behalf_of = serializers.CharField(source="on_behalf_of.get_full_name", default=None, read_only=True)
    unit = serializers.CharField(source="unit.abbreviation", default=None, read_only=True)

    class Meta:
        model = Opinion
        fields = ["step", "person", "on_behalf_of", "unit", "approved", "text", "at"]


class DeliveryEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryEvent
        fields = ["status", "reason", "at"]


class DeliverySerializer(serializers.ModelSerializer):
    recipient = serializers.CharField(source="recipient_name", read_only=True)
    events = DeliveryEventSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "kind", "agency", "external_code", "recipient", "status", "reason", "sent_at", "events"]


class OutgoingDocumentSerializer(serializers.ModelSerializer):
    document_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    drafter = serializers.CharField(source="drafter.get_full_name", read_only=True)
    signer_name = serializers.CharField(source="signer.get_full_name", read_only=True)
    file_sha256 = serializers.CharField(source="current_file.sha256", default=None, read_only=True)
    replaced_by = serializers.SerializerMethodField()

    class Meta:
        model = OutgoingDocument
        fields = [
            "id", "agency", "drafting_unit", "drafter", "document_type", "summary", "urgency", "confidentiality",
            "signer", "signer_name", "signer_capacity", "signer_position", "deadline", "answers_incoming_id",
            "answers_label", "recipient_units", "recipient_people", "consult_units", "status", "series_code", "year",
            "number", "notation", "issued_at", "signed_at", "released_at", "recalled_at", "recall_reason",
            "replaces", "replaced_by", "file_sha256", "created_at",
        ]
        read_only_fields = fields

    def get_replaced_by(self, obj) -> int | None:
        replaced = getattr(obj, "replaced_by", None) if hasattr(obj, "replaced_by") else None
        return replaced.pk if replaced is not None else None


class BatchStateSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="queued, releasing, issued, released hoặc failed")
    label = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    pending = serializers.BooleanField()


class OutgoingDetailSerializer(OutgoingDocumentSerializer):
    versions = VersionSerializer(many=True, read_only=True)
    opinions = OpinionSerializer(many=True, read_only=True)
    deliveries = DeliverySerializer(many=True, read_only=True)
    batch = serializers.SerializerMethodField(help_text="Trạng thái trong lô cấp số, đóng dấu của văn thư "
                                              "(null nếu văn bản chưa từng được đưa vào lô).")

    class Meta(OutgoingDocumentSerializer.Meta):
        fields = [*OutgoingDocumentSerializer.Meta.fields, "versions", "opinions", "deliveries", "batch"]
        read_only_fields = fields

    @extend_schema_field(BatchStateSerializer(allow_null=True))
    def get_batch(self, obj) -> dict | None:
        state = batches.batch_states([obj]).get(obj.pk)
        if state is None:
            return None
        return {"code": state.code, "label": str(state.label), "reason": state.reason, "pending": state.pending}


class ExternalRecipientSerializer(InputSerializer):
    code = serializers.CharField(max_length=13)
    name = serializers.CharField(max_length=255)


class RecipientsSerializer(InputSerializer):
    recipient_units = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    recipient_people = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    recipient_agencies = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    external_recipients = ExternalRecipientSerializer(many=True, required=False, default=list)

    def to_input(self, person, confidentiality: str) -> services.RecipientsInput:
        """The recipients, resolved as the page resolves them (:meth:`services.RecipientsInput.from_ids`)."""
        v = self.validated_data
        return services.RecipientsInput.from_ids(
            person, confidentiality, recipient_units=v["recipient_units"], recipient_people=v["recipient_people"],
            recipient_agencies=v["recipient_agencies"], external_recipients=v["external_recipients"])


class DraftCreateSerializer(RecipientsSerializer):
    document_type = serializers.CharField(help_text="Mã loại văn bản (cong-van, to-trinh, ...)")
    summary = serializers.CharField()
    signer = serializers.IntegerField()
    signer_capacity = serializers.ChoiceField(Capacity.choices, required=False, default="", allow_blank=True)
    signer_position = serializers.CharField(required=False, default="", allow_blank=True)
    urgency = serializers.ChoiceField(Urgency.choices, default=Urgency.NORMAL)
    confidentiality = serializers.ChoiceField(Confidentiality.choices, default=Confidentiality.NORMAL)
    consult_units = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    deadline = serializers.DateField(required=False, allow_null=True, default=None)
    file = serializers.FileField(required=False)

    class Meta:
        bound_models = (OutgoingDocument,)

    def to_input(self, person) -> services.DraftInput:
        """The draft, resolved as the page's form resolves it (:meth:`services.DraftInput.from_ids`)."""
        v = self.validated_data
        upload = v.get("file")
        return services.DraftInput.from_ids(
            person, document_type=v["document_type"], summary=v["summary"], signer=v["signer"],
            signer_capacity=v["signer_capacity"], signer_position=v["signer_position"], urgency=v["urgency"],
            confidentiality=v["confidentiality"], recipient_units=v["recipient_units"],
            recipient_people=v["recipient_people"], recipient_agencies=v["recipient_agencies"],
            external_recipients=v["external_recipients"], consult_units=v["consult_units"], deadline=v["deadline"],
            file=(upload.name, upload.read()) if upload else None,
        )


class ReplaceSerializer(InputSerializer):
    summary = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text="Trích yếu (để trống: giữ trích yếu của văn bản bị thay thế)")
    file = serializers.FileField(required=False)

    def to_input(self) -> services.ReplacementInput:
        upload = self.validated_data.get("file")
        return services.ReplacementInput(summary=self.validated_data["summary"],
                                         file=(upload.name, upload.read()) if upload else None)


class FileSerializer(InputSerializer):
    file = serializers.FileField()


class DecisionSerializer(InputSerializer):
    approve = serializers.BooleanField(default=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")

    def to_input(self) -> services.ReviewInput:
        return services.ReviewInput(**self.validated_data)


class ConsultSerializer(InputSerializer):
    agree = serializers.BooleanField(default=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    unit = serializers.IntegerField(required=False)

    def to_input(self, person) -> services.ConsultInput:
        v = self.validated_data
        unit = None
        if v.get("unit") is not None:
            unit = visible_to(Unit, person).filter(pk=v["unit"]).first()
            if unit is None:
                raise DomainError("Đơn vị không tồn tại.", code="unknown_reference", details={"ids": [v["unit"]]})
        return services.ConsultInput(agree=v["agree"], comment=v["comment"], unit=unit)


class CommentSerializer(InputSerializer):
    comment = serializers.CharField()

    def to_input(self) -> services.ReturnInput:
        return services.ReturnInput(comment=self.validated_data["comment"])


class ReasonSerializer(InputSerializer):
    reason = serializers.CharField()

    def to_input(self) -> services.RecallInput:
        return services.RecallInput(reason=self.validated_data["reason"])


class PrepareSerializer(InputSerializer):
    chain = serializers.ListField(child=serializers.CharField(max_length=65536), max_length=10, help_text="Chứng thư số (DER, base64), người ký "
                                  "trước, rồi các CA cấp trên.")


class CompleteSerializer(InputSerializer):
    session = serializers.IntegerField()
    signature = serializers.CharField(max_length=262144, help_text="Giá trị chữ ký do thiết bị ký số trả về (base64).")


class IssueBatchSerializer(InputSerializer):
    documents = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False,
                                      help_text="Mã các văn bản đã ký, chờ văn thư cấp số (tối đa 200).")
    release = serializers.BooleanField(default=True, help_text="Phát hành ngay sau khi cấp số, đóng dấu.")


class IssueBatchQueuedSerializer(serializers.Serializer):
    batch = serializers.CharField()
    documents = serializers.ListField(child=serializers.IntegerField())
    tasks = serializers.ListField(child=serializers.CharField())
    release = serializers.BooleanField()


PREPARED = inline_serializer("PreparedSignature", {
    "session": serializers.IntegerField(), "agent_request": serializers.DictField(),
    "field_name": serializers.CharField(),
})


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise DomainError("Dữ liệu base64 không hợp lệ.", code="bad_base64") from exc


class OutgoingDocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Outgoing dispatches (văn bản đi) the person may see; each action is one step of the procedure."""

    serializer_class = OutgoingDocumentSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["status", "year", "series_code", "confidentiality"]

    def get_queryset(self):
        return (visible_to(OutgoingDocument, self.request.user)
                .select_related("drafter", "signer", "document_type", "current_file", "replaced_by")
                .prefetch_related("recipient_units", "recipient_people", "consult_units")
                .order_by("-created_at"))

    def get_serializer_class(self):
        return OutgoingDetailSerializer if self.action != "list" else OutgoingDocumentSerializer

    def _respond(self, document, code=status.HTTP_200_OK):
        return Response(OutgoingDetailSerializer(self.get_queryset().get(pk=document.pk)).data, status=code)

    @extend_schema(request={"multipart/form-data": DraftCreateSerializer, "application/json": DraftCreateSerializer},
                   responses={201: OutgoingDetailSerializer})
    def create(self, request):
        data = DraftCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.create_draft(request.user, data.to_input(request.user), request=request)
        return self._respond(document, status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": FileSerializer}, responses={201: VersionSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def versions(self, request, pk=None):
        """A new version of the draft file (PDF or DOCX)."""
        data = FileSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        version = services.add_version(self.get_object(), request.user, upload.name, upload.read(), request=request)
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=OutgoingDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """The drafter submits the draft to the unit head (again after a return)."""
        return self._respond(services.submit(self.get_object(), request.user, request=request))

    @extend_schema(request=DecisionSerializer, responses=OutgoingDetailSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """The unit head approves or returns the draft (a return needs a comment)."""
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(services.review(self.get_object(), request.user, data.to_input(), request=request))

    @extend_schema(request=ConsultSerializer, responses=OutgoingDetailSerializer)
    @action(detail=True, methods=["post"])
    def consult(self, request, pk=None):
        """A consulted unit's opinion."""
        data = ConsultSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = self.get_object()
        services.consult(document, request.user, data.to_input(request.user), request=request)
        return self._respond(document)

    @extend_schema(request=None, responses=OutgoingDetailSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """The leader approves and signs with the key store the server holds for them."""
        return self._respond(services.sign(self.get_object(), request.user, request=request))

    @extend_schema(request=PrepareSerializer, responses=PREPARED)
    @action(detail=True, methods=["post"], url_path="sign/prepare")
    def sign_prepare(self, request, pk=None):
        """Two-step signing, step 1: the document prepared for the official's token; the body for the agent."""
        data = PrepareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        chain = [_b64(c) for c in data.validated_data["chain"]]
        session, prepared = services.prepare_two_step(self.get_object(), request.user, chain, request=request)
        return Response({"session": session.pk, "agent_request": prepared.agent_request(),
                         "field_name": prepared.field_name})

    @extend_schema(request=CompleteSerializer, responses=OutgoingDetailSerializer)
    @action(detail=True, methods=["post"], url_path="sign/complete")
    def sign_complete(self, request, pk=None):
        """Two-step signing, step 2: the token's signature value is checked and embedded."""
        data = CompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.complete_two_step(self.get_object(), request.user, data.validated_data["session"],
                                              _b64(data.validated_data["signature"]), request=request)
        return self._respond(document)

    @extend_schema(request=CommentSerializer, responses=OutgoingDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        """The signer or the clerk returns the draft to the drafter, with a comment."""
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(services.return_to_drafter(self.get_object(), request.user, data.to_input(),
                                                        request=request))

    @extend_schema(request=RecipientsSerializer, responses=OutgoingDetailSerializer)
    @action(detail=True, methods=["post"])
    def recipients(self, request, pk=None):
        """The drafter names the recipients again (a draft with them: new or returned)."""
        data = RecipientsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = self.get_object()
        return self._respond(services.set_recipients(
            document, request.user, data.to_input(request.user, document.confidentiality), request=request))

    @extend_schema(request=None, responses=OutgoingDetailSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        """The clerk numbers, registers and seals the signed document."""
        return self._respond(services.issue(self.get_object(), request.user, request=request))

    @extend_schema(request=None, responses=OutgoingDetailSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """The clerk releases the document to every recipient."""
        return self._respond(services.release(self.get_object(), request.user, request=request))

    @extend_schema(request=IssueBatchSerializer, responses={202: IssueBatchQueuedSerializer})
    @action(detail=False, methods=["post"], url_path="issue-batch")
    def issue_batch(self, request):
        """The clerk's batch: number, seal (and release) each document in the background, one Celery task each.

        Checked before anything is queued: the person is a clerk; every id is a document of their agency they may
        see (404 otherwise, without telling which exist); each waits for the clerk (409). Answers 202 with the
        queued ids; each document's own page and status show the result, a failure its reason.
        """
        data = IssueBatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queued = batches.issue_batch(data.validated_data["documents"], request.user,
                                   release=data.validated_data["release"], request=request)
        return Response(IssueBatchQueuedSerializer(queued).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ReasonSerializer, responses=OutgoingDetailSerializer)
    @action(detail=True, methods=["post"])
    def recall(self, request, pk=None):
        """Recall a released document from every recipient."""
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(services.recall(self.get_object(), request.user, data.to_input(), request=request))

    @extend_schema(request={"multipart/form-data": ReplaceSerializer, "application/json": ReplaceSerializer},
                   responses={201: OutgoingDetailSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def replace(self, request, pk=None):
        """A replacement draft: once released, it supersedes this document at every recipient."""
        data = ReplaceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.create_replacement(self.get_object(), request.user, data.to_input(), request=request)
        return self._respond(document, status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def file(self, request, pk=None):
        """The current PDF of the document (draft, signed or issued)."""
        document = self.get_object()
        if document.current_file is None:
            raise DomainError("Văn bản chưa có tệp PDF.", code="no_file", status_code=404)
        response = HttpResponse(document.current_file.read(), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{document.current_file.name}"'
        return response


class RegisterRowSerializer(serializers.Serializer):
    notation = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    type_and_summary = serializers.CharField()
    signer = serializers.CharField()
    recipients = serializers.CharField()
    keeper = serializers.CharField()
    copies = serializers.IntegerField()
    notes = serializers.CharField(allow_blank=True)


REGISTER_PARAMETERS = [
    OpenApiParameter("year", int, description="Năm của sổ (mặc định: năm nay)"),
    OpenApiParameter("series", str, description="Mã sổ: di, di-mat, ... (mặc định: di)"),
    OpenApiParameter("type", str, description="Mã loại văn bản"),
    OpenApiParameter("q", str, description="Tìm trong số, ký hiệu và trích yếu"),
    OpenApiParameter("output", str, enum=["json", "pdf", "xlsx"], description="json (mặc định), pdf hoặc xlsx"),
]


class OutgoingRegisterViewSet(viewsets.ViewSet):
    """The outgoing register (sổ đăng ký văn bản đi) of the person's agency: rows, or its PDF/XLSX print-out."""

    @extend_schema(parameters=REGISTER_PARAMETERS, responses={200: RegisterRowSerializer(many=True)})
    def list(self, request):
        year = parse_year(request.query_params.get("year"), default=timezone.localdate().year)
        series = parse_code(request.query_params.get("series"), name="series", default=OUTGOING_SERIES[0])
        documents = register.register_documents(request.user, year=year, series_code=series,
                                                document_type=parse_code(request.query_params.get("type"),
                                                                         name="type"),
                                                query=request.query_params.get("q", ""))
        rows = [register.row_of(d) for d in documents]
        fmt = request.query_params.get("output", "json")
        series_name = register.series_name(request.user.agency, series, year)
        if fmt == "pdf":
            body, content_type, ext = register.register_pdf(request.user.agency, year, series_name, rows), \
                "application/pdf", "pdf"
        elif fmt == "xlsx":
            body, content_type, ext = register.register_xlsx(request.user.agency, year, series_name, rows), \
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
        else:
            return Response(RegisterRowSerializer(rows, many=True).data)
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{safe_filename(f"so-van-ban-di-{series}-{year}")}.{ext}"'
        return response
