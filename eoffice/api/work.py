"""API v1 for Việc cần xử lý (``my-tasks``): what waits for the caller in both directions, the same rows in the
same order as the inbox page (:mod:`eoffice.work.inbox`), and the actions on the incoming steps.

A row tells its ``direction`` (``incoming`` or ``outgoing``) and links to where the step is done (``url``, the
page; ``api_url``, the document in this API). An incoming row keeps the fields of the work item (``id`` is the work
item, for ``/my-tasks/{id}/act/``) with its ``document``; an outgoing row has no work item (``id`` null): its
``outgoing_document`` is the document whose next step is the caller's, acted on through ``outgoing-documents``.
"""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from eoffice.api.fields import InputSerializer
from eoffice.archive.services import files_open_to
from eoffice.core.errors import DomainError
from eoffice.documents.models import Urgency
from eoffice.incoming import services
from eoffice.incoming.models import WorkItem
from eoffice.incoming.services import IncomingError
from eoffice.orgs.models import Person, Unit
from eoffice.orgs.scoping import visible_to
from eoffice.outgoing.models import OutgoingDocument
from eoffice.work import inbox, replies

from .incoming import IncomingDocumentSerializer, WorkItemSerializer
from .outgoing import OutgoingDocumentSerializer


class TaskActionSerializer(InputSerializer):
    """One action on a work item, as the document page offers them.

    The owner's step: ``instruct``, ``propose``, ``send_back``, ``represent``, ``assign``, ``finish``,
    ``give_input``, ``mark_read``. On any step of a document the caller may see: ``reassign`` (a leader, or the
    unit head for the handling steps of their unit), ``take_back`` (a leader), ``extend`` (a leader: the document's
    deadline, ``deadline`` the new one and ``text`` the reason). Who may is :mod:`eoffice.incoming.policy`'s rule
    (the document's ``actions`` in ``incoming-documents/{id}/`` tell it beforehand, as the document page offers;
    the services enforce it): a refusal is a structured 4xx and changes nothing.
    """

    action = serializers.ChoiceField(choices=["instruct", "propose", "send_back", "represent", "assign", "finish",
                                              "draft_reply", "give_input", "mark_read", "reassign", "take_back",
                                              "extend"])
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
    draft_reply = serializers.BooleanField(default=False, help_text="finish: dự thảo văn bản trả lời thay vì kết "
                                          "thúc (việc xử lý xong khi văn bản trả lời được phát hành).")
    case_file = serializers.IntegerField(required=False, allow_null=True,
                                         help_text="finish: hồ sơ (đang mở) để đưa văn bản vào.")


class InboxRowSerializer(serializers.Serializer):
    """One row of Việc cần xử lý (an :class:`eoffice.work.inbox.InboxRow`)."""

    id = serializers.SerializerMethodField(help_text="Mã việc (văn bản đến); null với văn bản đi.")
    direction = serializers.ChoiceField(choices=inbox.DIRECTIONS, help_text="incoming (đến) hoặc outgoing (đi).")
    kind = serializers.CharField(source="step", help_text="Loại việc (văn bản đến) hoặc mã bước (văn bản đi: "
                                                          "out_draft, out_review, out_sign...).")
    label = serializers.CharField()
    status = serializers.CharField(help_text="Trạng thái của việc (văn bản đến) hoặc của văn bản đi.")
    urgency = serializers.CharField(source="urgency_code")
    deadline = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()
    person = serializers.IntegerField(source="person_id", allow_null=True)
    acting_for = serializers.CharField(help_text="Người được thay (ủy quyền), nếu việc là của người đó.")
    created_at = serializers.DateTimeField()
    url = serializers.CharField(help_text="Trang thực hiện bước này.")
    api_url = serializers.SerializerMethodField(help_text="Văn bản trong API.")
    document = serializers.SerializerMethodField()
    outgoing_document = serializers.SerializerMethodField()

    def get_id(self, row) -> int | None:
        return row.pk if row.direction == inbox.INCOMING else None

    def get_api_url(self, row) -> str:
        name = "incoming-document-detail" if row.direction == inbox.INCOMING else "outgoing-document-detail"
        return reverse(name, args=[row.document.pk], request=self.context.get("request"))

    @extend_schema_field(IncomingDocumentSerializer(allow_null=True))
    def get_document(self, row) -> dict | None:
        return IncomingDocumentSerializer(row.document).data if row.direction == inbox.INCOMING else None

    @extend_schema_field(OutgoingDocumentSerializer(allow_null=True))
    def get_outgoing_document(self, row) -> dict | None:
        return OutgoingDocumentSerializer(row.document).data if row.direction == inbox.OUTGOING else None


INBOX_PARAMETERS = [
    OpenApiParameter("direction", OpenApiTypes.STR, enum=list(inbox.DIRECTIONS)),
    OpenApiParameter("kind", OpenApiTypes.STR, description="Loại việc (văn bản đến) hoặc mã bước (văn bản đi)"),
    OpenApiParameter("urgency", OpenApiTypes.STR, enum=list(Urgency.values)),
    OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Chỉ việc quá hạn"),
    OpenApiParameter("q", OpenApiTypes.STR, description="Tìm trong trích yếu, số và ký hiệu"),
]


def _filters(params) -> inbox.InboxFilter:
    kinds, steps = inbox.step_choices()
    checks = (("direction", inbox.DIRECTIONS), ("kind", [code for code, _label in [*kinds, *steps]]),
              ("urgency", Urgency.values))
    for name, allowed in checks:
        value = params.get(name, "")
        if value and value not in allowed:
            raise DomainError("Giá trị lọc không hợp lệ.", code="invalid_parameter",
                              details={"field": name, "allowed": list(allowed)})
    return inbox.InboxFilter(step=params.get("kind", ""), direction=params.get("direction", ""),
                             urgency=params.get("urgency", ""),
                             overdue=params.get("overdue", "").lower() in ("1", "true", "yes"),
                             text=params.get("q", ""))


class MyTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Việc cần xử lý of the caller (and of those they stand in for), both directions; the actions on the
    incoming steps."""

    serializer_class = InboxRowSerializer
    queryset = WorkItem.objects.all()

    def get_queryset(self):
        user = self.request.user
        mine = services.inbox_items(user)
        if self.action == "act":
            # As on the document page: besides one's own steps, the steps of the documents one may see, so that a
            # unit head can reassign a specialist's step and a leader take one back or extend the deadline. Who may
            # do what is eoffice.incoming.policy's rule, enforced by the services (a refusal is a structured 403,
            # nothing changes).
            return WorkItem.objects.filter(
                Q(pk__in=mine.values("pk")) | Q(pk__in=visible_to(WorkItem, user).values("pk"))
            ).select_related("document", "person")
        return mine.select_related("document__document_type")

    @extend_schema(parameters=INBOX_PARAMETERS, responses=InboxRowSerializer(many=True))
    def list(self, request):
        """What waits for the caller, in the inbox page's order: overdue first, then urgency, deadline, latest."""
        user, today = request.user, timezone.localdate()
        keys = inbox.waiting(user, _filters(request.query_params), today=today)
        page = self.paginate_queryset(keys)
        rows = inbox.rows(
            user, list(page if page is not None else keys), today=today,
            items=WorkItem.objects.select_related("document__document_type", "person"),
            documents=OutgoingDocument.objects.select_related(
                "drafter", "signer", "document_type", "current_file", "replaced_by",
            ).prefetch_related("recipient_units", "recipient_people", "consult_units"))
        data = InboxRowSerializer(rows, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(responses=InboxRowSerializer)
    def retrieve(self, request, pk=None):
        """One incoming step of the caller's (the ``id`` of an incoming row)."""
        row = inbox.incoming_row(request.user, self.get_object())
        return Response(InboxRowSerializer(row, context=self.get_serializer_context()).data)

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
        elif name in ("finish", "draft_reply"):
            # One rule with the page (eoffice.work.replies.handle): drafting a reply keeps the handling open
            # until the reply is released; finishing files the document when a file is named.
            case_file = None
            if v.get("case_file") is not None:
                case_file = get_object_or_404(files_open_to(user), pk=v["case_file"])
            draft = replies.handle(item, user, result=v["text"], draft_reply=name == "draft_reply" or v["draft_reply"],
                                   case_file=case_file, request=request)
            if draft is not None:
                item.refresh_from_db()
                return Response({**WorkItemSerializer(item).data, "reply_draft": draft.pk})
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
