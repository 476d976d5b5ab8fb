"""Numbers and notations of outgoing documents: the right series, yearly restart, no gap and no duplicate."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from eoffice.documents.models import Confidentiality
from eoffice.outgoing import services

from .conftest import draft_pdf

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def signed_document(p, *, type_code: str = "cong-van", confidentiality: str = Confidentiality.NORMAL, **extra):
    type_name = None if type_code == "cong-van" else p.type(type_code).name
    if confidentiality != Confidentiality.NORMAL:
        extra.setdefault("recipient_people", [p.specialist2])
        extra.setdefault("recipient_units", [])
    else:
        extra.setdefault("recipient_units", [p.vp])
    document = services.create_draft(
        p.specialist, document_type=p.type(type_code), summary="Về việc tổ chức tuyên truyền pháp luật",
        signer=p.director, file=("du-thao.pdf", draft_pdf(p.director, type_name=type_name)),
        confidentiality=confidentiality, **extra,
    )
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True)
    return services.sign(document, p.director)


@pytest.mark.django_db
def test_series_by_type_and_confidentiality_and_restart_on_first_january(keys):
    p = keys
    december = datetime(2026, 12, 31, 16, 0, tzinfo=VN)
    january = datetime(2027, 1, 1, 8, 0, tzinfo=VN)
    first = services.issue(signed_document(p), p.clerk, at=december)
    decision = services.issue(signed_document(p, type_code="quyet-dinh"), p.clerk, at=december)
    secret = services.issue(signed_document(p, confidentiality=Confidentiality.SECRET), p.clerk, at=december)
    normative = services.issue(signed_document(p, type_code="qppl-quyet-dinh"), p.clerk, at=december)
    new_year = services.issue(signed_document(p), p.clerk, at=january)

    assert (first.series_code, first.year, first.notation) == ("di", 2026, "01/STP-PBGDPL")
    # Other administrative documents share the outgoing series; the notation carries the type.
    assert (decision.series_code, decision.notation) == ("di", "02/QĐ-STP")
    # Secret documents: their own series, starting at 01.
    assert (secret.series_code, secret.number) == ("di-mat", 1)
    # A legal normative kind: its own series.
    assert (normative.series_code, normative.number) == ("qppl-quyet-dinh", 1)
    # 1 January: the series restarts.
    assert (new_year.year, new_year.notation) == (2027, "01/STP-PBGDPL")


@pytest.mark.django_db(transaction=True)
def test_concurrent_clerks_get_consecutive_numbers_without_gap_or_duplicate(keys):
    if connection.vendor != "postgresql":
        pytest.skip("real row-lock concurrency needs PostgreSQL (SQLite serialises writers; CI runs this)")
    p = keys
    documents = [signed_document(p) for _ in range(6)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(documents))

    def issue(document) -> None:
        try:
            barrier.wait(timeout=60)
            services.issue(document, p.clerk)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(d,)) for d in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not errors, errors
    numbers = sorted(type(d).objects.get(pk=d.pk).number for d in documents)
    assert numbers == [1, 2, 3, 4, 5, 6]
