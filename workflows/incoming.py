"""The incoming flow, as Decree 30/2020/NĐ-CP describes it (art. 20-24).

The clerk registers the dispatch and presents it (``register``); the chief of office may propose how to handle it
(``propose``); the leader writes the instruction (``instruct``): lead unit, supporting units, units or people for
information, deadline. Either of them may send it back to the clerk (``revise``). Then, in parallel: the lead
unit's head assigns a specialist (``assign``) who handles it (``handle``); the supporting units give their input
(``support``); those for information are told (``inform``). The document is closed when the lead is done.

The steps only move the process; what each step does to the document lives in ``eoffice.incoming.services``, which
the UI, the API and the benchmark call. People see their steps as work items in their inbox.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.lock import select_for_update_lock

from eoffice.incoming.models import IncomingProcess


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
        .Permission("incoming.propose_incoming")
        .onCreate(this.task_created)
        .Next(this.check_proposal_sent_back)
    )
    check_proposal_sent_back = flow.If(_sent_back).Then(this.revise).Else(this.instruct)

    # 3. The leader writes the instruction (ý kiến chỉ đạo), or sends it back to the clerk.
    instruct = (
        flow.View(task_page)
        .Annotation(title=_("Cho ý kiến chỉ đạo"))
        .Assign(lambda activation: activation.process.leader)
        .Permission("incoming.instruct_incoming")
        .onCreate(this.task_created)
        .Next(this.check_instruction)
    )
    check_instruction = flow.If(_sent_back).Then(this.revise).Else(this.route)

    # Sent back: the clerk corrects the registration and presents it again.
    revise = (
        flow.View(task_page)
        .Annotation(title=_("Văn thư trình lại"))
        .Assign(lambda activation: activation.process.document.registered_by)
        .Permission("incoming.register_incoming")
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
        .Permission("incoming.assign_incoming")
        .onCreate(this.task_created)
        .Next(this.handle)
    )
    handle = (
        flow.View(task_page)
        .Annotation(title=_("Xử lý văn bản"))
        .Assign(lambda activation: activation.process.main_handler)
        .Permission("incoming.handle_incoming")
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
        from eoffice.incoming import services

        services.on_flow_task_created(activation.task, activation.process)

    def inform_people(self, activation) -> None:
        from eoffice.incoming import services

        services.on_inform(activation.process)

    def close_document(self, activation) -> None:
        from eoffice.incoming import services

        services.on_flow_closed(activation.process)
