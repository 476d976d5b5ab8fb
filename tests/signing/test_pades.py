"""PAdES signatures through the life of an outgoing dispatch: person, clerk's numbering, seal, later copy."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel

from signing import pades
from signing.dev.samples import sample_document
from signing.documents import date_line, render_document
from signing.images import seal_image, signature_image
from signing.keys import KeyStoreError, SoftwareKeyStore, clear_key_cache
from tests.fixtures_pki import AGENCY_STP, DIRECTOR_KEY, SEAL_STP_KEY

from ._pdf_checks import assert_pdfsig_all_valid, make_nss_db, pyhanko_statuses

NAME, POSITION = "Nguyễn Văn An", "Giám đốc"


def store(pki, key: str) -> SoftwareKeyStore:
    return SoftwareKeyStore(pki.key_store_path(key), pki.key_store_passphrase(key))


def draft() -> bytes:
    return render_document(sample_document(
        "cong-van", agency=AGENCY_STP, superior_agency="Ủy ban nhân dân tỉnh Bình Minh", agency_abbreviation="STP",
        signer_name=NAME, signer_position=POSITION, signer_capacity=None, paragraphs=2,
    ))


@pytest.fixture(scope="module")
def stages(dev_pki) -> dict[str, bytes]:
    """The document after each step, signed once for the whole module (each signature costs ~0.5 s)."""
    out: dict[str, bytes] = {"draft": draft()}
    out["fields"] = pades.add_number_date_fields(out["draft"])
    out["person"] = pades.sign_person(out["fields"], store(dev_pki, DIRECTOR_KEY), name=NAME, position=POSITION,
                                      signature_image=signature_image(NAME))
    out["filled"] = pades.fill_number_date(out["person"], "45/STP-VP", date_line("Bình Minh", date(2026, 11, 22)))
    out["sealed"] = pades.sign_seal(out["filled"], store(dev_pki, SEAL_STP_KEY), agency_name=AGENCY_STP,
                                    seal_image=seal_image(AGENCY_STP))
    out["copied"] = pades.sign_copy(out["sealed"], store(dev_pki, SEAL_STP_KEY), copy_form="sao y",
                                    copy_number="07/SY-STP", agency_name=AGENCY_STP)
    return out


@pytest.fixture(scope="module")
def nssdir(dev_pki, tmp_path_factory) -> str:
    return make_nss_db(tmp_path_factory.mktemp("nss"), dev_pki.root_cert_path)


def test_person_signature_is_pades_baseline_locking_all_but_the_numbering_fields(stages, dev_pki):
    reader = PdfFileReader(io.BytesIO(stages["person"]), strict=False)
    [embedded] = reader.embedded_signatures
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.field_name == pades.PERSON_FIELD
    assert embedded.docmdp_level is None  # approval signature: later visible signatures stay permitted
    assert embedded.fieldmdp is not None
    assert embedded.fieldmdp.is_locked(pades.PERSON_FIELD)
    assert not embedded.fieldmdp.is_locked(pades.NUMBER_FIELD)
    assert not embedded.fieldmdp.is_locked(pades.DATE_FIELD)
    [status] = pyhanko_statuses(stages["person"], dev_pki.root_cert_path)
    assert status.bottom_line, status.pretty_print_details()
    assert status.md_algorithm == "sha256"
    # B-B: the signing time lives in the signature dictionary, no signing-time attribute (PAdES forbids it).
    assert "signing_time" not in [a["type"].native for a in embedded.signer_info["signed_attrs"]]


def test_person_signature_stays_valid_after_number_and_date_are_filled(stages, dev_pki, nssdir, tmp_path):
    [status] = pyhanko_statuses(stages["filled"], dev_pki.root_cert_path)
    assert status.bottom_line, status.pretty_print_details()
    assert status.modification_level == ModificationLevel.FORM_FILLING
    reader = PdfFileReader(io.BytesIO(stages["filled"]), strict=False)
    values = {str(f.get_object()["/T"]): str(f.get_object()["/V"]) for f in reader.root["/AcroForm"]["/Fields"]}
    assert values[pades.NUMBER_FIELD] == "45/STP-VP"
    assert values[pades.DATE_FIELD] == "Bình Minh, ngày 22 tháng 11 năm 2026"
    assert_pdfsig_all_valid(stages["filled"], nssdir, tmp_path, expected=1)


def test_person_signature_stays_valid_after_the_seal(stages, dev_pki, nssdir, tmp_path):
    person, seal = pyhanko_statuses(stages["sealed"], dev_pki.root_cert_path)
    assert person.bottom_line and seal.bottom_line, person.pretty_print_details()
    assert person.modification_level == ModificationLevel.FORM_FILLING
    assert seal.signer_reported_dt is not None
    entries = assert_pdfsig_all_valid(stages["sealed"], nssdir, tmp_path, expected=2)
    assert [e.field for e in entries] == [pades.PERSON_FIELD, pades.SEAL_FIELD]
    assert entries[1].signer == AGENCY_STP and entries[1].total


def test_every_signature_stays_valid_after_a_later_copy_signature(stages, dev_pki, nssdir, tmp_path):
    statuses = pyhanko_statuses(stages["copied"], dev_pki.root_cert_path)
    assert len(statuses) == 3
    assert all(s.bottom_line for s in statuses), [s.pretty_print_details() for s in statuses]
    assert statuses[0].modification_level == ModificationLevel.FORM_FILLING
    assert_pdfsig_all_valid(stages["copied"], nssdir, tmp_path, expected=3)


def test_changing_page_content_after_the_person_signed_is_caught(stages, dev_pki, nssdir, tmp_path):
    """The control for the tests above: a real change (text added to the page) is not reported as form filling."""
    writer = IncrementalPdfFileWriter(io.BytesIO(stages["filled"]), strict=False)
    writer.add_stream_to_page(0, writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 50 50 200 200 re f")))
    out = io.BytesIO()
    writer.write(out)
    [status] = pyhanko_statuses(out.getvalue(), dev_pki.root_cert_path)
    assert status.modification_level > ModificationLevel.FORM_FILLING
    assert not status.docmdp_ok and not status.bottom_line


def test_timestamper_gives_a_pades_b_t_signature(dev_pki, pki_timestamper):
    signed = pades.sign_person(pades.add_number_date_fields(draft()), store(dev_pki, DIRECTOR_KEY), name=NAME,
                               position=POSITION, signature_image=None, timestamper=pki_timestamper)
    [status] = pyhanko_statuses(signed, dev_pki.root_cert_path)
    assert status.bottom_line
    assert status.timestamp_validity is not None and status.timestamp_validity.intact


def test_plan_person_signature_gives_a_new_field_in_the_same_block_for_a_second_signer(stages):
    first = pades.plan_person_signature(stages["fields"], name=NAME, position=POSITION, signature_image=None)
    second = pades.plan_person_signature(stages["sealed"], name=NAME, position=POSITION, signature_image=None)
    assert second.field_spec.sig_field_name == f"{pades.PERSON_FIELD}_2"  # never reuses a signed field's name
    assert second.field_spec.box == first.field_spec.box  # same block, same place, whatever the signer


def test_explicit_block_is_used_instead_of_searching_the_text(dev_pki):
    block = pades.SignatureBlock(0, (100.0, 100.0, 290.0, 180.0))
    plan = pades.plan_person_signature(draft(), name="Không có trong văn bản", position="Chức vụ khác",
                                       signature_image=None, block=block)
    assert plan.field_spec.on_page == 0 and plan.field_spec.box == block.rect


def test_seal_needs_a_person_signature_first(dev_pki):
    with pytest.raises(pades.LayoutError):
        pades.sign_seal(draft(), store(dev_pki, SEAL_STP_KEY), agency_name=AGENCY_STP, seal_image=b"")


def test_key_store_is_loaded_once_and_reloaded_when_the_file_changes(dev_pki, tmp_path):
    clear_key_cache()
    copy = tmp_path / "person.p12"
    copy.write_bytes(dev_pki.key_store_path(DIRECTOR_KEY).read_bytes())
    passphrase = dev_pki.key_store_passphrase(DIRECTOR_KEY)
    first = SoftwareKeyStore(copy, passphrase).signer()
    assert SoftwareKeyStore(copy, passphrase).signer() is first
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert SoftwareKeyStore(copy, passphrase).signer() is not first
    chain = SoftwareKeyStore(copy, passphrase).chain()
    assert chain[0].subject.native["common_name"] == NAME
    assert chain[0].issuer == chain[1].subject


def test_wrong_passphrase_fails_with_a_vietnamese_message(dev_pki, tmp_path):
    with pytest.raises(KeyStoreError, match="sai mật khẩu"):
        SoftwareKeyStore(dev_pki.key_store_path(DIRECTOR_KEY), b"not the passphrase").signer()
    with pytest.raises(KeyStoreError, match="Không tìm thấy"):
        SoftwareKeyStore(Path(tmp_path) / "missing.p12", b"x").signer()
