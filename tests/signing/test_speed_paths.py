"""The fast batch path (cached key, CMS template) makes the same signatures as pyHanko, and they validate."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter

from signing.dev.samples import sample_document
from signing.documents import render_document
from signing.keys import SoftwareKeyStore, TemplateCmsSigner
from signing.pades import SEAL_FIELD, BatchSealer
from tests.fixtures_pki import SEAL_STP_KEY

from ._pdf_checks import assert_pdfsig_all_valid, make_nss_db, pyhanko_statuses


def seal_store(pki) -> SoftwareKeyStore:
    return SoftwareKeyStore(pki.key_store_path(SEAL_STP_KEY), pki.key_store_passphrase(SEAL_STP_KEY))


def signer_info(pdf: bytes):
    [embedded] = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    return embedded, embedded.signer_info


def test_fast_path_output_validates_with_pyhanko_and_pdfsig(dev_pki, tmp_path):
    sealer = BatchSealer(seal_store(dev_pki))
    assert isinstance(sealer.signer, TemplateCmsSigner)
    first = render_document(sample_document("bao-cao", notation_number=3, paragraphs=2))
    second = render_document(sample_document("thong-bao", notation_number=4, paragraphs=1))
    for pdf in (first, second, first):
        sealed = sealer.seal(pdf)
        [status] = pyhanko_statuses(sealed, dev_pki.root_cert_path)
        assert status.bottom_line and status.intact and status.valid
        embedded, _ = signer_info(sealed)
        assert embedded.field_name == SEAL_FIELD
        assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    nssdir = make_nss_db(tmp_path / "nss", dev_pki.root_cert_path)
    assert_pdfsig_all_valid(sealed, nssdir, tmp_path, expected=1)


def test_fast_path_cms_has_exactly_pyhanko_s_structure(dev_pki):
    pdf = render_document(sample_document("giay-moi", notation_number=5, paragraphs=1))
    meta = signers.PdfSignatureMetadata(field_name="Sig", subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256")
    plain_signer = seal_store(dev_pki).signer()
    plain = signers.PdfSigner(meta, plain_signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf))).getvalue()
    fast = signers.PdfSigner(meta, TemplateCmsSigner.from_signer(plain_signer)).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf))
    ).getvalue()
    (plain_sig, plain_info), (fast_sig, fast_info) = signer_info(plain), signer_info(fast)
    attr_types = [[a["type"].native for a in info["signed_attrs"]] for info in (plain_info, fast_info)]
    assert attr_types[0] == attr_types[1] and "message_digest" in attr_types[0]
    assert fast_info["signature_algorithm"].native == plain_info["signature_algorithm"].native
    assert [c.chosen.dump() for c in fast_sig.signed_data["certificates"]] == [
        c.chosen.dump() for c in plain_sig.signed_data["certificates"]
    ]
    digest = {a["type"].native: a["values"][0].native for a in fast_info["signed_attrs"]}["message_digest"]
    assert digest == fast_sig.compute_digest()  # the patched digest is this document's


def test_fast_path_hands_timestamped_signatures_to_pyhanko(dev_pki, pki_timestamper):
    sealer = BatchSealer(seal_store(dev_pki), timestamper=pki_timestamper)
    sealed = sealer.seal(render_document(sample_document("thong-bao", notation_number=6, paragraphs=1)))
    [status] = pyhanko_statuses(sealed, dev_pki.root_cert_path)
    assert status.bottom_line and status.timestamp_validity is not None and status.timestamp_validity.intact
