"""The page and the API are one product: the handler's step gives the same outcome through either."""

from __future__ import annotations

import pytest
from django.urls import reverse

from eoffice.archive.models import FileEntry
from eoffice.incoming.models import WorkStatus
from eoffice.outgoing.models import OutgoingDocument

from .test_reply_and_filing import case_file, handled_by_specialist  # noqa: F401  (fixture)


def _page_finish(client, doc, item, **fields):
    return client.post(reverse("incoming:act", args=[doc.pk, item.pk]),
                       {f"i{item.pk}-{name}": value for name, value in fields.items()})


def _api_finish(client, item, **fields):
    return client.post(f"/api/v1/my-tasks/{item.pk}/act/", {"action": "finish", **fields},
                       content_type="application/json")


@pytest.mark.parametrize("through", ["page", "api"])
def test_finishing_with_a_reply_keeps_the_handling_open_until_the_reply_is_released(office, pdf, client, through):
    doc, item = handled_by_specialist(office, pdf)
    client.force_login(office.specialist)
    if through == "page":
        response = _page_finish(client, doc, item, text="Đã xử lý", draft_reply="on")
        assert response.status_code == 302
    else:
        response = _api_finish(client, item, text="Đã xử lý", draft_reply=True)
        assert response.status_code == 200, response.content
        assert response.json()["reply_draft"] == OutgoingDocument.objects.get(answers_incoming_id=doc.pk).pk
    draft = OutgoingDocument.objects.get(answers_incoming_id=doc.pk)
    assert draft.drafter == office.specialist
    item.refresh_from_db()
    assert item.status == WorkStatus.OPEN


def test_the_api_drafts_a_reply_as_its_own_action_like_the_page(office, pdf, client):
    doc, item = handled_by_specialist(office, pdf)
    client.force_login(office.specialist)
    response = client.post(f"/api/v1/my-tasks/{item.pk}/act/", {"action": "draft_reply"},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert item.status == WorkStatus.OPEN
    assert OutgoingDocument.objects.filter(answers_incoming_id=doc.pk, drafter=office.specialist).count() == 1


@pytest.mark.parametrize("through", ["page", "api"])
def test_finishing_files_the_document_in_the_chosen_file(office, pdf, client, case_file, through):  # noqa: F811
    doc, item = handled_by_specialist(office, pdf)
    client.force_login(office.specialist)
    if through == "page":
        assert _page_finish(client, doc, item, text="Đã xử lý", case_file=case_file.pk).status_code == 302
    else:
        assert _api_finish(client, item, text="Đã xử lý", case_file=case_file.pk).status_code == 200
    item.refresh_from_db()
    assert item.status == WorkStatus.DONE
    assert FileEntry.objects.get(kind="incoming", document_id=doc.pk).case_file == case_file


def test_the_api_refuses_a_file_the_handler_may_not_use_and_records_nothing(office, pdf, client):
    doc, item = handled_by_specialist(office, pdf)
    client.force_login(office.specialist)
    response = _api_finish(client, item, text="Đã xử lý", case_file=999999)
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.status == WorkStatus.OPEN and not FileEntry.objects.filter(document_id=doc.pk).exists()
