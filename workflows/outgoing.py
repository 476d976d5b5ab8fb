"""The outgoing dispatch procedure (Decree 30/2020/NĐ-CP, art. 18-20) as a viewflow flow.

    draft ─► the unit head checks ─┬─ returned ─► the drafter revises ─► (checked again)
                                   └─ approved ─┬─ consultation of other units, in parallel ─► join ─┐
                                                └────────────────────────────────────────────────────┴─► the leader
    signs ─┬─ returned ─► the drafter revises
           └─ signed ─► the clerk checks the form, numbers, registers, seals ─┬─ returned ─► the drafter revises
                                                                             └─ issued ─► the clerk releases ─► end

The flow says WHO acts next; WHAT happens at each step (numbering, signatures, deliveries) is in
:mod:`eoffice.outgoing.services`, which calls :func:`start`, :func:`open_task` and :func:`complete` here through
the driver seam (``eoffice.outgoing.process``; this module is the driver, registered by ``workflows.apps``). The
process's artifact is the :class:`~eoffice.outgoing.models.OutgoingDocument`; a real row lock
(``select_for_update_lock``) protects the consultation join.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import STATUS, flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.models import Process, Task
from viewflow.workflow.nodes.split import SplitActivation

from eoffice.core.errors import DomainError
from eoffice.outgoing import policy


def task_page(request, process_pk: int, task_pk: int, **kwargs):
    """Every human step is done on the document's page (and through the API); a task link leads there."""
    process = Process.objects.get(pk=process_pk)
    return redirect("outgoing-detail", pk=process.artifact_object_id)


class _PerItemSplitActivation(SplitActivation):
    """A parallel split that creates one task per item of a branch's ``data_source`` (task.data = the item)."""

    @Activation.status.super()
    def activate(self):
        for node, cond, data_source in self.flow_task._branches:
            if cond and not cond(self):
                continue
            items = data_source(self) if data_source else [None]
            self.next_tasks.extend((node, item) for item in items)
        if not self.next_tasks:
            raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class ParallelForEach(flow.Split):
    """``ParallelForEach().Next(this.node, data_source=this.items)``: one ``node`` task per item, in parallel."""

    activation_class = _PerItemSplitActivation

    def Next(self, node, case=None, data_source=None):  # noqa: N802 - viewflow's naming
        self._activate_next.append((node, case, data_source))
        return self


class OutgoingFlow(flow.Flow):
    process_title = _("Văn bản đi")
    process_description = _("Soạn thảo, kiểm tra, ký, cấp số, đóng dấu và phát hành văn bản đi.")
    lock_impl = lock.select_for_update_lock

    # 1. The specialist (chuyên viên) of a unit drafts the document and submits it.
    start = flow.StartHandle(this.start_process).Next(this.review)

    # 2. The drafting unit's head checks content and form (policy.may_review: any head of the unit, or a delegate);
    #    approved, it goes on to consultation or the signer; returned, the drafter revises it.
    review = flow.View(task_page).Annotation(title=_("Lãnh đạo đơn vị kiểm tra dự thảo")).Assign(
        this.unit_head).Next(this.reviewed)
    reviewed = flow.If(this.is_returned).Then(this.revise).Else(this.needs_consultation)
    # The drafter revises a returned draft and submits it again (only the drafter).
    revise = flow.View(task_page).Annotation(title=_("Chuyên viên chỉnh sửa dự thảo")).Assign(
        this.drafter).Next(this.review)

    # 3. (optional) Other units give their opinion, in parallel: one step per unit, for its head
    #    (policy.may_consult).
    needs_consultation = flow.If(this.has_consultation).Then(this.consultation).Else(this.sign)
    consultation = ParallelForEach().Next(this.consult, data_source=this.consulted_units)
    consult = flow.View(task_page).Annotation(title=_("Đơn vị góp ý dự thảo")).Assign(
        this.consulted_unit_head).Next(this.consulted)
    consulted = flow.Join().Next(this.sign)

    # 4. The leader named as signer approves and signs (policy.may_sign: the signer or a delegate), or returns it.
    sign = flow.View(task_page).Annotation(title=_("Lãnh đạo duyệt và ký số")).Assign(
        this.signer).Next(this.signed)
    signed = flow.If(this.is_returned).Then(this.revise).Else(this.issue)

    # 5. The agency's clerk (văn thư, policy.is_clerk_of) checks the form, numbers, registers and seals it, or
    #    returns it to the drafter.
    issue = flow.View(task_page).Annotation(title=_("Văn thư kiểm tra thể thức, cấp số, đóng dấu")).Assign(
        this.agency_clerk).Next(this.issued)
    issued = flow.If(this.is_returned).Then(this.revise).Else(this.release)

    # 6. The clerk releases it: deliveries to the units, people and agencies it is addressed to.
    release = flow.View(task_page).Annotation(title=_("Văn thư phát hành")).Assign(
        this.agency_clerk).Next(this.end)
    end = flow.End()

    # ------------------------------------------------------------------------------------------ node helpers
    def start_process(self, activation, document):
        activation.process.artifact = document
        activation.process.save()
        return activation.process

    @staticmethod
    def document(activation):
        from eoffice.outgoing.models import OutgoingDocument

        return OutgoingDocument.objects.get(pk=activation.process.artifact_object_id)

    def is_returned(self, activation) -> bool:
        from eoffice.outgoing.models import Status

        return self.document(activation).status == Status.RETURNED

    def has_consultation(self, activation) -> bool:
        return self.document(activation).consultations.filter(opinion__isnull=True).exists()

    def consulted_units(self, activation) -> list[dict]:
        document = self.document(activation)
        units = document.consultations.filter(opinion__isnull=True).values_list("unit_id", flat=True)
        return [{"unit_id": unit_id} for unit_id in units]

    def unit_head(self, activation):
        """The drafting unit's head; with several, the task stays open to any of them (outgoing.policy)."""
        heads = policy.reviewers(self.document(activation))
        return heads[0] if len(heads) == 1 else None

    def drafter(self, activation):
        return self.document(activation).drafter

    def consulted_unit_head(self, activation):
        from eoffice.orgs.models import Unit
        from eoffice.outgoing.services import unit_heads

        heads = unit_heads(Unit.objects.get(pk=activation.task.data["unit_id"]))
        return heads[0] if heads else None

    def signer(self, activation):
        return self.document(activation).signer

    def agency_clerk(self, activation):
        """The agency's clerk when it has one; with several, the task stays open to any of them."""
        from eoffice.outgoing.services import clerks_of

        clerks = clerks_of(self.document(activation).agency)
        return clerks[0] if len(clerks) == 1 else None


# ---------------------------------------------------------------------------------- called by the services
def process_for(document) -> Process | None:
    content_type = ContentType.objects.get_for_model(type(document))
    return (Process.objects.filter(flow_class=OutgoingFlow, artifact_content_type=content_type,
                                   artifact_object_id=document.pk).order_by("-pk").first())


def start(document) -> Process:
    return OutgoingFlow.start.run(document=document)


def _open_tasks(document, node_name: str, **data):
    process = process_for(document)
    if process is None:
        return Task.objects.none()
    tasks = Task.objects.filter(process=process, flow_task=getattr(OutgoingFlow, node_name),
                                status__in=[STATUS.NEW, STATUS.ASSIGNED])
    for key, value in data.items():
        tasks = tasks.filter(**{f"data__{key}": value})
    return tasks.select_related("owner").order_by("pk")


def open_task(document, node_name: str, **data) -> Task:
    """The open task of step ``node_name`` for ``document`` (a 409 error when the process is not there)."""
    task = _open_tasks(document, node_name, **data).first()
    if task is None:
        raise DomainError("Văn bản không ở bước này của quy trình.", code="wrong_step", status_code=409)
    return task


def complete(document, node_name: str, person, **data) -> None:
    """Finish the open task of ``node_name`` as ``person`` and let the flow move on (under the process lock)."""
    task = open_task(document, node_name, **data)
    with OutgoingFlow.lock(task.process_id):
        task.refresh_from_db()
        activation = task.flow_task.activation_class(task)
        if task.status == STATUS.NEW:
            activation.assign(person)
        activation.start(None)
        activation.execute()


def open_steps(document) -> list[Task]:
    """The steps waiting for someone, for the document page."""
    process = process_for(document)
    if process is None:
        return []
    return list(Task.objects.filter(process=process, status__in=[STATUS.NEW, STATUS.ASSIGNED])
                .select_related("owner").order_by("pk"))
