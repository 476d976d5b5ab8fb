"""B-T timestamps from the loopback TSA, and B-LT / B-LTA archival copies that still validate."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import DocumentSecurityStore

from signing.ltv import ArchivalError, get_timestamper, make_archival
from signing.pki import DevPKI, Subject
from signing.validation import REASON_REVOKED, SUMMARY_VALID, validate_pdf
from tests.fixtures_pki import DIRECTOR_KEY, SEAL_STP_KEY
from tests.signing.test_validation import sign


@pytest.fixture(scope="module")
def timestamped(dev_pki: DevPKI, pki_signer: Callable[[str], Any], sample_pdf: bytes) -> bytes:
    """B-T: the director's and the seal's signatures, each with a timestamp from the loopback TSA."""
    tsa = HTTPTimeStamper(dev_pki.services.tsa_url)
    once = sign(sample_pdf, pki_signer(DIRECTOR_KEY), "ChuKyLanhDao", timestamper=tsa)
    return sign(once, pki_signer(SEAL_STP_KEY), "ChuKyCoQuan", timestamper=tsa)


@pytest.fixture(scope="module")
def archived(dev_pki: DevPKI, timestamped: bytes) -> bytes:
    return make_archival(
        timestamped,
        trust_roots=[dev_pki.root_certificate],
        timestamper=HTTPTimeStamper(dev_pki.services.tsa_url),
    )


def test_b_t_signature_carries_a_timestamp_from_the_loopback_tsa(dev_pki: DevPKI, timestamped: bytes) -> None:
    report = validate_pdf(timestamped, trust_roots=[dev_pki.root_certificate])
    assert report.status == "valid"
    for sig in report.signatures:
        assert sig.timestamp_valid is True
        assert sig.timestamp_authority == "Development Time-Stamping Authority"
        assert sig.signing_time == sig.timestamp_time


def test_get_timestamper_uses_the_configured_url(dev_pki_settings: Any) -> None:
    stamper = get_timestamper()
    assert isinstance(stamper, HTTPTimeStamper)
    assert stamper.url == dev_pki_settings.SIGNING_TSA_URL


def test_get_timestamper_falls_back_to_running_dev_services(settings: Any, dev_pki: DevPKI) -> None:
    settings.SIGNING_TSA_URL = ""
    settings.SIGNING_DEV_SERVICES_PORT = int(dev_pki.services.url.rsplit(":", 1)[1])
    stamper = get_timestamper()
    assert isinstance(stamper, HTTPTimeStamper) and stamper.url == dev_pki.services.tsa_url


def test_get_timestamper_is_none_without_tsa(settings: Any) -> None:
    from tests.fixtures_pki import free_loopback_port

    settings.SIGNING_TSA_URL = ""
    settings.SIGNING_DEV_SERVICES_PORT = free_loopback_port()  # nothing listens there
    assert get_timestamper() is None


def test_archival_copy_embeds_revocation_data_and_a_document_timestamp(archived: bytes, timestamped: bytes) -> None:
    assert archived.startswith(timestamped)  # incremental: earlier revisions untouched
    reader = PdfFileReader(io.BytesIO(archived))
    dss = DocumentSecurityStore.read_dss(reader)
    assert len(dss.ocsps) >= 2 and len(dss.crls) >= 1 and len(list(dss.load_certs())) >= 3
    assert len(reader.embedded_timestamp_signatures) == 1
    assert len(reader.embedded_regular_signatures) == 2


def test_archival_copy_validates_offline_from_embedded_data_alone(dev_pki: DevPKI, archived: bytes) -> None:
    # hard-fail without fetching: only succeeds if every CRL/OCSP answer needed is inside the file
    report = validate_pdf(
        archived, trust_roots=[dev_pki.root_certificate], allow_fetching=False, revocation_mode="hard-fail"
    )
    assert (report.status, report.summary) == ("valid", SUMMARY_VALID), report.to_dict()
    kinds = [s.kind for s in report.signatures]
    assert kinds == ["signature", "signature", "document_timestamp"]
    for sig in report.signatures[:2]:
        assert sig.modification_level == "lta_updates" or sig.modification_level == "form_filling"
        assert sig.modifications_permitted and sig.revocation == "good" and sig.revocation_data_embedded
    assert report.signatures[2].timestamp_valid is True


def test_plain_timestamped_copy_fails_offline_hard_fail(dev_pki: DevPKI, timestamped: bytes) -> None:
    """The counterpart of the test above: without make_archival the same check cannot succeed."""
    report = validate_pdf(
        timestamped, trust_roots=[dev_pki.root_certificate], allow_fetching=False, revocation_mode="hard-fail"
    )
    assert report.status == "indeterminate"


def test_archival_copy_is_accepted_by_pdfsig(archived: bytes, run_pdfsig: Callable[[bytes], str]) -> None:
    output = run_pdfsig(archived)
    # poppler 22.12 does not verify document timestamps ("Unable to validate this type of signature"): it checks
    # the two signatures, which must stay valid and trusted after the DSS and timestamp updates.
    assert output.count("Signature Validation: Signature is Valid.") == 2, output
    assert output.count("Certificate Validation: Certificate is Trusted.") == 2, output
    assert "Signature is Invalid" not in output and "Digest Mismatch" not in output


def test_archiving_twice_renews_the_timestamp_chain(dev_pki: DevPKI, archived: bytes) -> None:
    again = make_archival(
        archived, trust_roots=[dev_pki.root_certificate], timestamper=HTTPTimeStamper(dev_pki.services.tsa_url)
    )
    reader = PdfFileReader(io.BytesIO(again))
    assert len(reader.embedded_timestamp_signatures) == 2
    assert validate_pdf(again, trust_roots=[dev_pki.root_certificate]).status == "valid"


def test_b_lt_without_document_timestamp(dev_pki: DevPKI, timestamped: bytes) -> None:
    lt = make_archival(timestamped, trust_roots=[dev_pki.root_certificate], document_timestamp=False)
    reader = PdfFileReader(io.BytesIO(lt))
    assert reader.embedded_timestamp_signatures == []
    assert DocumentSecurityStore.read_dss(reader).ocsps
    report = validate_pdf(lt, trust_roots=[dev_pki.root_certificate], allow_fetching=False, revocation_mode="hard-fail")
    assert report.status == "valid"


def test_archiving_a_revoked_signature_is_refused(
    dev_pki: DevPKI, pki_signer: Callable[[str], Any], new_pki_subject: Callable[..., Subject], sample_pdf: bytes
) -> None:
    subject = new_pki_subject()
    signed = sign(sample_pdf, pki_signer(subject.key), "ChuKy")
    dev_pki.revoke(subject.key)
    with pytest.raises(ArchivalError) as info:
        make_archival(signed, trust_roots=[dev_pki.root_certificate], document_timestamp=False)
    assert "Không thu thập được" in info.value.message


def test_archiving_an_unsigned_document_is_refused(dev_pki: DevPKI, sample_pdf: bytes) -> None:
    with pytest.raises(ArchivalError):
        make_archival(sample_pdf, trust_roots=[dev_pki.root_certificate])


def test_b_t_signature_stays_valid_when_the_certificate_is_revoked_later(
    dev_pki: DevPKI, pki_signer: Callable[[str], Any], new_pki_subject: Callable[..., Subject], sample_pdf: bytes
) -> None:
    subject = new_pki_subject()
    signed = sign(sample_pdf, pki_signer(subject.key), "ChuKy", timestamper=HTTPTimeStamper(dev_pki.services.tsa_url))
    # revocation dates have one-second precision: put it clearly after the timestamp
    dev_pki.revoke(subject.key, when=datetime.now(UTC) + timedelta(seconds=2))
    report = validate_pdf(signed, trust_roots=[dev_pki.root_certificate])
    sig = report.signatures[0]
    assert report.status == "valid", report.to_dict()
    assert sig.revoked_after_signing and sig.revocation_reason == "key_compromise"


def test_unstamped_signature_is_invalid_when_the_certificate_is_revoked_later(
    dev_pki: DevPKI, pki_signer: Callable[[str], Any], new_pki_subject: Callable[..., Subject], sample_pdf: bytes
) -> None:
    """Without a timestamp nothing proves the signature predates the revocation."""
    subject = new_pki_subject()
    signed = sign(sample_pdf, pki_signer(subject.key), "ChuKy")
    dev_pki.revoke(subject.key, when=datetime.now(UTC) + timedelta(seconds=2))
    assert validate_pdf(signed, trust_roots=[dev_pki.root_certificate]).summary == REASON_REVOKED
