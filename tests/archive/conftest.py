"""Fixtures of the archive tests: the office, the Celery worker of the search integration tests, and a signed
document in a transferred file (what the archival copy is made from)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pyhanko.sign.timestamps import HTTPTimeStamper

from eoffice.archive.models import ArchivalStatus, ArchivedVersion, CaseFile
from eoffice.incoming.models import IncomingDocument
from tests.factories import (
    Office,
    make_case_file,
    make_incoming,
    make_office,
    make_pdf,
    make_transferred_files,
)
from tests.fixtures_pki import DIRECTOR_KEY
from tests.search.integration import forget_sent_tasks, fresh_index, worker  # noqa: F401


@pytest.fixture
def office(transactional_db) -> Office:
    return make_office()


@dataclass
class SignedTransfer:
    document: IncomingDocument  # registered from ``signed``
    case_file: CaseFile  # of the office (VP), permanent, transferred
    signed: bytes  # the director's signed, timestamped PDF
    version: ArchivedVersion  # its archival version, pending: the task has not run


@pytest.fixture
def signed_transfer(office, dev_pki, dev_pki_settings, pki_signer) -> SignedTransfer:
    """A signed PDF of an incoming document in a closed, transferred file; no worker runs the archival task."""
    from tests.signing.test_validation import sign

    summary = "Quyết định phê duyệt danh mục hồ sơ"
    signed = sign(make_pdf(summary), pki_signer(DIRECTOR_KEY), "ChuKyLanhDao",
                  timestamper=HTTPTimeStamper(dev_pki.services.tsa_url))
    document = make_incoming(office.clerk, summary, files=[("qd.pdf", signed)])
    case_file = make_case_file(office.clerk, office.vp, code="07.VP", title="Hồ sơ danh mục", retention="vinh-vien",
                               documents=[document], closed=True)
    make_transferred_files(office.archivist, case_file)
    forget_sent_tasks()
    version = ArchivedVersion.objects.get(case_file=case_file)
    assert version.status == ArchivalStatus.PENDING
    return SignedTransfer(document, case_file, signed, version)
