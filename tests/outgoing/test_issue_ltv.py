"""Released documents are PAdES B-LT when a TSA is configured: the DSS keeps the revocation material used."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.validation import validate_pdf

from .test_numbering import signed_document


@pytest.mark.django_db
def test_issued_document_reaches_b_lt_with_the_development_tsa_and_validates_offline(keys, dev_pki, settings):
    from eoffice.outgoing import services

    settings.SIGNING_TSA_URL = dev_pki.services.tsa_url
    document = services.issue(signed_document(keys), keys.clerk)
    released = document.current_file.read()
    dss = PdfFileReader(io.BytesIO(released), strict=False).root["/DSS"]
    assert "/Certs" in dss and ("/CRLs" in dss or "/OCSPs" in dss)
    # Offline and hard-fail: only the embedded CRLs/OCSP responses can prove the certificates were not revoked.
    report = validate_pdf(released, trust_roots=[dev_pki.root_certificate], allow_fetching=False,
                          revocation_mode="hard-fail")
    assert report.status == "valid", report
