"""``manage.py make_samples``: the seven kinds of documents, each validating with pyHanko and pdfsig."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from signing.dev.services import DevServices
from signing.management.commands.make_samples import SUBJECTS
from signing.pades import COPY_FIELD, PERSON_FIELD, SEAL_FIELD
from signing.pki import DevPKI
from tests.fixtures_pki import free_loopback_port

from ._pdf_checks import assert_pdfsig_all_valid, make_nss_db, pyhanko_statuses

KINDS = ("cong-van", "bao-cao", "ke-hoach", "thong-bao", "giay-moi", "lich-cong-tac", "van-ban-sao-gui")


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> Iterator[Path]:
    """The samples made by the command with a fresh PKI, whose CRL/OCSP services run while they are made (the
    certificates are checked before signing) and checked (pdfsig asks the OCSP responder named in the
    certificates and reports an unknown issue when none answers)."""
    out = tmp_path_factory.mktemp("samples")
    pki_dir = tmp_path_factory.mktemp("sample-pki")
    port = free_loopback_port()
    pki = DevPKI(pki_dir, services_url=f"http://127.0.0.1:{port}")
    pki.ensure(SUBJECTS)
    services = DevServices(pki, port=port)
    services.start()
    try:
        # SIGNING_TRUST_ROOTS empty: the product trusts the root in PKI_DIR, the one the command signs with.
        with override_settings(PKI_DIR=pki_dir, SIGNING_DEV_SERVICES_PORT=port, SIGNING_TRUST_ROOTS=[]):
            call_command("make_samples", str(out))
        yield out
    finally:
        services.stop()


def test_make_samples_writes_the_seven_documents_and_the_root(samples):
    assert {p.name for p in samples.iterdir()} == {f"{k}.pdf" for k in KINDS} | {"root-ca.pem"}
    assert (samples / "root-ca.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")


@pytest.mark.parametrize("kind", KINDS)
def test_every_sample_signature_validates_with_pyhanko_and_pdfsig(samples, kind, tmp_path):
    pdf = (samples / f"{kind}.pdf").read_bytes()
    statuses = pyhanko_statuses(pdf, samples / "root-ca.pem")
    expected = 3 if kind == "van-ban-sao-gui" else 2
    assert len(statuses) == expected
    assert all(s.bottom_line for s in statuses), [s.pretty_print_details() for s in statuses]
    nssdir = make_nss_db(tmp_path / "nss", samples / "root-ca.pem")
    entries = assert_pdfsig_all_valid(pdf, nssdir, tmp_path, expected=expected)
    fields = [e.field for e in entries]
    assert fields[:2] == [PERSON_FIELD, SEAL_FIELD]
    if kind == "van-ban-sao-gui":
        assert fields[2] == COPY_FIELD and entries[2].signer != entries[1].signer  # the copying agency
