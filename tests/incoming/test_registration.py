"""Registration: arrival numbers (yearly restart, no gap or duplicate under concurrency), refused uploads that
consume no number, duplicates flagged and linked, receipts returned with a reason, scanned originals as sao y."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections, transaction

from eoffice.documents.models import NumberSeries
from eoffice.documents.services import allocate_number, format_number, store_file
from eoffice.incoming import services
from eoffice.incoming.models import IncomingDocument, Receipt, ReceiptStatus
from eoffice.incoming.services import IncomingError, registration

from .conftest import metadata, sample_pdf_bytes

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def register(office, pdf, **kw):
    kw.setdefault("metadata", metadata(number_notation=f"{kw.pop('n', 1)}/UBND-VP"))
    kw.setdefault("channel", "email")
    return services.register_incoming(office.clerk, files=[("cv.pdf", pdf)], **kw)


def test_format_number_has_leading_zero_below_ten():
    assert [format_number(n) for n in (1, 9, 10, 123)] == ["01", "09", "10", "123"]


@pytest.mark.django_db(transaction=True)
def test_allocate_number_refuses_to_run_outside_a_transaction(transactional_db):
    from tests.factories import make_agency

    with pytest.raises(RuntimeError):
        allocate_number(make_agency(), "incoming", "den", 2026)


def test_arrival_numbers_run_in_order_and_restart_on_first_of_january(office, pdf):
    last_day = dt.datetime(2025, 12, 31, 23, 50, tzinfo=VN)
    new_year = dt.datetime(2026, 1, 1, 0, 5, tzinfo=VN)
    a = register(office, pdf, n=1, arrived_at=last_day)
    b = register(office, pdf, n=2, arrived_at=last_day)
    c = register(office, pdf, n=3, arrived_at=new_year)
    d = register(office, pdf, n=4, arrived_at=new_year)
    assert [(x.year, x.arrival_number) for x in (a, b, c, d)] == [(2025, 1), (2025, 2), (2026, 1), (2026, 2)]
    assert c.arrival_number_display == "01"


def test_secret_documents_use_their_own_series(office, pdf):
    normal = register(office, pdf, n=1)
    secret = register(office, pdf, n=2, metadata=metadata(number_notation="2/M", confidentiality="mat"))
    assert (normal.series_code, normal.arrival_number) == ("den", 1)
    assert (secret.series_code, secret.arrival_number) == ("den-mat", 1)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"", "pdf_empty"),
        (b"GIF89a not a pdf at all", "pdf_not_pdf"),
        ("encrypted", "pdf_encrypted"),
        ("too_large", "pdf_too_large"),
    ],
)
def test_rejected_upload_consumes_no_number_and_says_why(office, pdf, settings, payload, code):
    if payload == "encrypted":
        payload = _encrypted_pdf()
    elif payload == "too_large":
        settings.EOFFICE_MAX_UPLOAD_BYTES = len(pdf) - 1
        payload = pdf
    first = register(office, sample_pdf_bytes("một"), n=1)
    settings_limit = settings.EOFFICE_MAX_UPLOAD_BYTES
    with pytest.raises(IncomingError) as err:
        services.register_incoming(office.clerk, files=[("xau.pdf", payload)], channel="email",
                                   metadata=metadata(number_notation="2/UBND-VP"))
    assert err.value.code == code
    assert "xau.pdf" in err.value.message
    settings.EOFFICE_MAX_UPLOAD_BYTES = max(settings_limit, 50 * 1024 * 1024)
    second = register(office, pdf, n=3)
    assert (first.arrival_number, second.arrival_number) == (1, 2)
    assert IncomingDocument.objects.count() == 2


def _encrypted_pdf() -> bytes:
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(sample_pdf_bytes())))
    writer.encrypt("chu-so-huu", "nguoi-dung")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_failed_registration_after_numbering_rolls_the_number_back(office, pdf, monkeypatch):
    register(office, pdf, n=1)

    def boom(*args, **kwargs):
        raise IncomingError("lỗi giả lập", code="boom")

    monkeypatch.setattr(registration, "_start_flow", boom)
    with pytest.raises(IncomingError):
        register(office, pdf, n=2)
    monkeypatch.undo()
    assert register(office, pdf, n=3).arrival_number == 2
    assert NumberSeries.objects.get(agency=office.agency, code="den").last_number == 2


def test_same_dispatch_twice_is_flagged_and_linked_not_registered_twice(office, pdf):
    first = register(office, pdf, n=7)
    with pytest.raises(IncomingError) as err:
        register(office, pdf, n=7)
    assert err.value.code == "duplicate"
    assert err.value.details["existing_id"] == first.pk
    receipt = services.receive(office.agency, files=[("a.pdf", pdf)], metadata=metadata(number_notation="7/UBND-VP"),
                               source="internal", source_ref="dup-1")
    assert receipt.duplicate_of == first
    assert IncomingDocument.objects.count() == 1
    assert NumberSeries.objects.get(code="den").last_number == 1


def test_receive_is_idempotent_and_validates_signatures(office, pdf):
    one = services.receive(office.agency, files=[("a.pdf", pdf)], metadata=metadata(), source="edxml",
                           source_ref="X-1")
    two = services.receive(office.agency, files=[("a.pdf", pdf)], metadata=metadata(), source="edxml",
                           source_ref="X-1")
    assert one.pk == two.pk and Receipt.objects.count() == 1
    assert one.validation_status  # an unsigned PDF is reported, not ignored
    assert one.validation["files"][0]["name"] == "a.pdf"


def test_clerk_returns_a_receipt_with_a_reason(office, pdf):
    receipt = services.receive(office.agency, files=[("a.pdf", pdf)], metadata=metadata(), source="internal",
                               source_ref="r-1")
    with pytest.raises(IncomingError):
        services.return_receipt(receipt, office.outsider_clerk, reason="Gửi nhầm")
    with pytest.raises(IncomingError):
        services.return_receipt(receipt, office.clerk, reason="")
    services.return_receipt(receipt, office.clerk, reason="Gửi nhầm cơ quan")
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.RETURNED and receipt.reason == "Gửi nhầm cơ quan"
    with pytest.raises(IncomingError):
        services.register_incoming(office.clerk, receipt=receipt)


def test_registering_a_receipt_takes_its_files_and_metadata(office, pdf):
    receipt = services.receive(office.agency, files=[("a.pdf", pdf), ("pl.pdf", sample_pdf_bytes("Phụ lục"))],
                               metadata=metadata(urgency="khan"), source="internal", source_ref="r-2")
    doc = services.register_incoming(office.clerk, receipt=receipt)
    assert doc.urgency == "khan" and doc.channel == "internal" and doc.arrival_number == 1
    assert [f.kind for f in doc.files.all()] == ["main", "attachment"]
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.REGISTERED


def test_only_a_clerk_of_the_agency_registers(office, pdf):
    with pytest.raises(IncomingError):
        services.register_incoming(office.specialist, files=[("a.pdf", pdf)], channel="paper", metadata=metadata())


def test_store_file_is_content_addressed(db):
    a = store_file(b"%PDF-1.4 same", name="a.pdf")
    b = store_file(b"%PDF-1.4 same", name="b.pdf")
    assert a.pk == b.pk and len(a.sha256) == 64


def test_scanned_paper_original_becomes_sao_y_signed_by_the_agency(office, pdf, dev_pki, dev_pki_settings):
    from urllib.parse import urlsplit

    from eoffice.documents.keyring import ensure_dev_keys
    from signing.validation import validate_pdf

    dev_pki_settings.SIGNING_DEV_SERVICES_PORT = urlsplit(dev_pki.services.url).port
    ensure_dev_keys()
    doc = register(office, pdf, channel="paper", scanned_paper=True)
    files = list(doc.files.select_related("stored_file"))
    assert [f.kind for f in files] == ["copy", "scan"]
    assert doc.copy_notation == "01/SY-STP"
    report = validate_pdf(files[0].stored_file.read(), allow_fetching=False)
    assert len(report.signatures) == 1
    assert report.signatures[0].signer_organization == office.agency.name or report.signatures[0].signer_name


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_registrations_get_numbers_1_to_50(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs one connection per thread on a server database; SQLite serialises writers "
                    "(IMMEDIATE transactions) and is covered by the sequential tests")
    from eoffice.documents.services import ensure_document_types
    from tests.factories import make_agency, make_person

    ensure_document_types()
    agency = make_agency(abbreviation="STP")
    clerk = make_person(agency, "clerk")
    make_person(agency, "leader")
    pdf = sample_pdf_bytes()
    barrier = threading.Barrier(50)
    numbers: list[int] = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            doc = services.register_incoming(clerk, files=[("cv.pdf", pdf)], channel="email",
                                             metadata=metadata(number_notation=f"{i}/UBND-VP"))
            numbers.append(doc.arrival_number)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == list(range(1, 51))
    with transaction.atomic():
        assert NumberSeries.objects.get(agency=agency, code="den").last_number == 50


@pytest.mark.django_db(transaction=True)
def test_two_clerks_registering_the_same_dispatch_at_once_register_it_once_and_use_one_number(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs one connection per thread on a server database; SQLite serialises writers")
    from eoffice.documents.services import ensure_document_types
    from tests.factories import make_agency, make_person

    ensure_document_types()
    agency = make_agency(abbreviation="STP")
    clerks = [make_person(agency, "clerk"), make_person(agency, "clerk")]
    make_person(agency, "leader")
    pdf = sample_pdf_bytes()
    barrier = threading.Barrier(len(clerks))
    registered: list[int] = []
    refused: list[str] = []

    def worker(clerk) -> None:
        try:
            barrier.wait()
            doc = services.register_incoming(clerk, files=[("cv.pdf", pdf)], channel="paper",
                                             metadata=metadata(number_notation="77/UBND-VP"))
            registered.append(doc.arrival_number)
        except services.IncomingError as exc:
            refused.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(clerk,)) for clerk in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert registered == [1] and refused == ["duplicate"]
    with transaction.atomic():
        assert IncomingDocument.objects.filter(agency=agency).count() == 1
        assert NumberSeries.objects.get(agency=agency, code="den").last_number == 1
