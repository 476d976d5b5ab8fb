"""The incoming flow, as Decree 30/2020/NĐ-CP describes it (art. 20-24).

The clerk registers the dispatch and presents it (``register``); the chief of office may propose how to handle it
(``propose``); the leader writes the instruction (``instruct``): lead unit, supporting units, units or people for
information, deadline. Either of them may send it back to the clerk (``revise``). Then, in parallel: the lead
unit's head assigns a specialist (``assign``) who handles it (``handle``); the supporting units give their input
(``support``); those for information are told (``inform``). The document is closed when the lead is done.

The steps only move the process; what each step does to the document lives in ``eoffice.incoming.services``, which
the UI, the API and the benchmark call. People see their steps as work items in their inbox. Who may act at a step
is the person the step is assigned to (``.Assign``), or someone standing in for them through a delegation; the
actions check that (``eoffice.incoming.services``), viewflow's own permissions are not used.

The actions move the process through :class:`IncomingDriver` below, registered with ``eoffice.incoming.process``
when Django starts: the domain never imports this module.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.lock import select_for_update_lock
from viewflow.workflow.status import PROCESS, STATUS

from eoffice.incoming import services
from eoffice.incoming.models import IncomingProcess, WorkKind
from eoffice.incoming.services import IncomingError


def task_page(request: HttpRequest, **kwargs) -> HttpResponseRedirect:
    """Human steps are done from the document page; viewflow's own task URL leads there."""
    process = IncomingProcess.objects.get(pk=kwargs["process_pk"])
    return HttpResponseRedirect(reverse("incoming:document", args=[process.document_id]))


def _sent_back(activation) -> bool:
    return activation.process.decision == "return"


class IncomingFlow(flow.Flow):
    process_class = IncomingProcess
    # Parallel branches meet at a join: every step takes the process row lock (SELECT … FOR UPDATE).
    lock_impl = select_for_update_lock
    process_title = _("Xử lý văn bản đến")

    # 1. The clerk has registered the dispatch and presents it.
    register = flow.StartHandle(this.start_process).Next(this.check_proposal)

    check_proposal = (
        flow.If(lambda activation: activation.process.proposer_id is not None)
        .Then(this.propose)
        .Else(this.instruct)
    )

    # 2. (optional) The chief of office proposes how to handle it.
    propose = (
        flow.View(task_page)
        .Annotation(title=_("Đề xuất xử lý"))
        .Assign(lambda activation: activation.process.proposer)
        .onCreate(this.task_created)
        .Next(this.check_proposal_sent_back)
    )
    check_proposal_sent_back = flow.If(_sent_back).Then(this.revise).Else(this.instruct)

    # 3. The leader writes the instruction (ý kiến chỉ đạo), or sends it back to the clerk.
    instruct = (
        flow.View(task_page)
        .Annotation(title=_("Cho ý kiến chỉ đạo"))
        .Assign(lambda activation: activation.process.leader)
        .onCreate(this.task_created)
        .Next(this.check_instruction)
    )
    check_instruction = flow.If(_sent_back).Then(this.revise).Else(this.route)

    # Sent back: the clerk corrects the registration and presents it again.
    revise = (
        flow.View(task_page)
        .Annotation(title=_("Văn thư trình lại"))
        .Assign(lambda activation: activation.process.document.registered_by)
        .onCreate(this.task_created)
        .Next(this.check_proposal)
    )

    # 4. In parallel: the lead unit, the supporting units, those for information.
    route = (
        flow.Split()
        .Next(this.assign)
        .Next(this.support, case=lambda activation: activation.process.has_support)
        .Next(this.inform, case=lambda activation: activation.process.has_information)
    )

    assign = (
        flow.View(task_page)
        .Annotation(title=_("Giao chuyên viên xử lý"))
        .Assign(lambda activation: activation.process.lead_head)
        .onCreate(this.task_created)
        .Next(this.handle)
    )
    handle = (
        flow.View(task_page)
        .Annotation(title=_("Xử lý văn bản"))
        .Assign(lambda activation: activation.process.main_handler)
        .onCreate(this.task_created)
        .Next(this.join)
    )

    # Done when every supporting unit has given its input, or when the lead unit finishes first.
    support = flow.Handle().Annotation(title=_("Đơn vị phối hợp cho ý kiến")).Next(this.join)

    inform = flow.Function(this.inform_people).Annotation(title=_("Gửi để biết")).Next(this.join)

    join = flow.Join().Next(this.close)

    # 5. Closed when the lead is done.
    close = flow.Function(this.close_document).Annotation(title=_("Kết thúc xử lý")).Next(this.end)
    end = flow.End()

    # ---------------------------------------------------------------------------------------------- callbacks
    def start_process(self, activation, *, document, leader, proposer=None):
        activation.process.document = document
        activation.process.leader = leader
        activation.process.proposer = proposer
        return activation.process

    def task_created(self, activation) -> None:
        services.on_flow_task_created(activation.task, activation.process)

    def inform_people(self, activation) -> None:
        services.on_inform(activation.process)

    def close_document(self, activation) -> None:
        services.on_flow_closed(activation.process)


# ------------------------------------------------------------------------------------- the actions' driver
#: The process field that names who acts at each kind of step, kept in step when the step changes hands.
_OWNER_FIELDS = {WorkKind.HANDLE: "main_handler", WorkKind.ASSIGN: "lead_head", WorkKind.INSTRUCT: "leader",
                 WorkKind.PROPOSE: "proposer"}
_KIND_OF_NODE = {"propose": WorkKind.PROPOSE, "instruct": WorkKind.INSTRUCT, "revise": WorkKind.REVISE,
                 "assign": WorkKind.ASSIGN, "handle": WorkKind.HANDLE}


def hand_over_task(task, new_person) -> None:
    """Give an open human task to ``new_person``: the one place that changes a task's owner outside viewflow's
    own operations. viewflow's ``reassign`` works only on a task nobody has started; a task its previous owner
    had started goes back to "assigned" so that the new owner can start and finish it."""
    task.owner = new_person
    task.status = STATUS.ASSIGNED
    task.started = None
    task.save(update_fields=["owner", "status", "started"])


class IncomingDriver:
    """How ``eoffice.incoming.services`` moves the incoming process (see ``eoffice.incoming.process``)."""

    def start(self, document, *, leader, proposer=None):
        return IncomingFlow.register.run(document=document, leader=leader, proposer=proposer)

    def complete(self, task) -> None:
        with IncomingFlow.lock(task.process_id):
            task.refresh_from_db()
            # Read the process once, under the lock, with what the steps' assignments and callbacks read
            # (viewflow would read the base row, then the subclass row, then each related row on its own).
            task.process = (IncomingProcess.objects
                            .select_related("document", "leader", "proposer", "lead_head", "main_handler")
                            .get(pk=task.process_id))
            activation = task.flow_task.activation_class(task)
            if task.status != STATUS.STARTED:  # already started (e.g. opened through viewflow's own task page)
                activation.start(None)
            activation.execute()

    def finish_support(self, process) -> None:
        task = process.task_set.filter(flow_task=IncomingFlow.support, status=STATUS.NEW).first()
        if task is not None:
            IncomingFlow.support.run(task)

    def hand_over(self, task, new_person) -> None:
        with IncomingFlow.lock(task.process_id):
            task.refresh_from_db()
            if task.status not in (STATUS.ASSIGNED, STATUS.STARTED):
                raise IncomingError("Bước này của quy trình đã kết thúc.", code="not_open", status_code=409)
            hand_over_task(task, new_person)
            process = IncomingProcess.objects.get(pk=task.process_id)
            field_name = _OWNER_FIELDS.get(_KIND_OF_NODE.get(task.flow_task.name))
            if field_name:
                setattr(process, field_name, new_person)
                process.save(update_fields=[field_name])

    def cancel(self, document) -> None:
        for process in IncomingProcess.objects.filter(document=document).exclude(
                status__in=[PROCESS.DONE, PROCESS.CANCELED]):
            with IncomingFlow.lock(process.pk):
                process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED]).update(
                    status=STATUS.CANCELED, finished=timezone.now())
                process.status = PROCESS.CANCELED
                process.finished = timezone.now()
                process.save(update_fields=["status", "finished"])
