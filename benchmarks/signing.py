"""Signing speed: PAdES signatures per second on one core, product path against plain pyHanko, in the same run.

Run: ``.venv/bin/python benchmarks/signing.py [--seconds S]``. Standalone: it makes its own development PKI and a
3-page A4 document (Decree 30 layout, Vietnamese text) in a temporary directory; no Django, no network.

Both paths make the same kind of signature: an invisible PAdES B-B signature (``ETSI.CAdES.detached``, SHA-256,
RSA-2048, certificate chain embedded) in a new signature field of an incremental update.

* plain — pyHanko as its documentation shows it: ``SimpleSigner.load`` from the key and certificate files for each
  document, then ``PdfSigner(...).sign_pdf``.
* product — :class:`signing.pades.BatchSealer`: the key store loaded once (cached), the CMS structure built once
  and patched per document.

Each output is checked before timing (pyHanko validation against the dev root: intact, valid, trusted). The last
line printed is ``signing speedup vs plain pyHanko: N.Nx (product P/s, plain Q/s)``.
"""

from __future__ import annotations

import argparse
import io
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from pyhanko.keys import load_cert_from_pemder  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.sign import signers  # noqa: E402
from pyhanko.sign.fields import SigSeedSubFilter  # noqa: E402
from pyhanko.sign.validation import validate_pdf_signature  # noqa: E402
from pyhanko_certvalidator import ValidationContext  # noqa: E402

from signing.dev.samples import sample_document
from signing.dev.services import DevServices  # noqa: E402
from signing.documents import render_document  # noqa: E402
from signing.keys import SoftwareKeyStore  # noqa: E402
from signing.pades import BatchSealer  # noqa: E402
from signing.pki import DevPKI, Subject  # noqa: E402

SEAL = Subject("seal:BENCH", "Ủy ban nhân dân xã Bình Minh", "Ủy ban nhân dân xã Bình Minh", "seal")
PASSPHRASE = b"benchmark-passphrase"


def three_page_pdf() -> bytes:
    for paragraphs in range(10, 40):
        pdf = render_document(sample_document("bao-cao", paragraphs=paragraphs, notation_number=12))
        if int(PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"]) == 3:
            return pdf
    raise RuntimeError("could not lay out a 3-page document")


def plain_files(pki: DevPKI, directory: Path) -> tuple[Path, Path, Path]:
    """The key (PEM, encrypted), certificate and CA chain files that pyHanko's documentation loads from."""
    key = pki.private_key(SEAL.key)
    key_file, cert_file, chain_file = directory / "seal.key.pem", directory / "seal.cert.pem", directory / "ca.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.BestAvailableEncryption(PASSPHRASE)))
    cert_file.write_bytes(pki.certificate(SEAL.key).public_bytes(serialization.Encoding.PEM))
    chain_file.write_bytes(pki.intermediate_cert_path.read_bytes() + pki.root_cert_path.read_bytes())
    return key_file, cert_file, chain_file


def rate(sign: Callable[[bytes], bytes], pdf: bytes, seconds: float) -> float:
    """Signatures per second over at least ``seconds`` (after one warm-up signature)."""
    sign(pdf)
    count, start = 0, time.perf_counter()
    while True:
        sign(pdf)
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and count >= 5:
            return count / elapsed


def check(pdf: bytes, root_pem: Path, label: str) -> None:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    [embedded] = reader.embedded_signatures
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(root_pem))], allow_fetching=False)
    status = validate_pdf_signature(embedded, context)
    if not (status.bottom_line and embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"):
        raise SystemExit(f"{label}: the signature does not validate\n{status.pretty_print_details()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="time spent measuring each path")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="eoffice-bench-") as tmp:
        directory = Path(tmp)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        pki = DevPKI(directory / "pki", services_url=f"http://127.0.0.1:{port}")
        pki.ensure([SEAL])
        # The product checks the certificate (validity, revocation) before signing, as in production: the PKI's
        # OCSP/CRL services must answer. The check stays on during the measurement (its result is cached).
        services = DevServices(pki, port=port)
        services.start()
        try:
            measure(pki, directory, args.seconds)
        finally:
            services.stop()


def measure(pki: DevPKI, directory: Path, seconds: float) -> None:
    key_file, cert_file, chain_file = plain_files(pki, directory)
    pdf = three_page_pdf()
    meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=SigSeedSubFilter.PADES,
                                        md_algorithm="sha256")

    def plain(document: bytes) -> bytes:
        signer = signers.SimpleSigner.load(str(key_file), str(cert_file), ca_chain_files=(str(chain_file),),
                                           key_passphrase=PASSPHRASE)
        writer = IncrementalPdfFileWriter(io.BytesIO(document))
        return signers.PdfSigner(meta, signer=signer).sign_pdf(writer).getvalue()

    sealer = BatchSealer(SoftwareKeyStore(pki.key_store_path(SEAL.key), pki.key_store_passphrase(SEAL.key)),
                         trust_roots=[pki.root_certificate])

    def product(document: bytes) -> bytes:
        return sealer.seal(document)

    check(plain(pdf), pki.root_cert_path, "plain")
    check(product(pdf), pki.root_cert_path, "product")
    print(f"document: 3-page A4, {len(pdf)} bytes; signature: invisible PAdES B-B, SHA-256, RSA-2048")
    plain_rate = rate(plain, pdf, seconds)
    print(f"plain pyHanko (SimpleSigner.load per document + PdfSigner.sign_pdf): {plain_rate:.1f}/s")
    product_rate = rate(product, pdf, seconds)
    print(f"product (BatchSealer: cached key, CMS template): {product_rate:.1f}/s")
    print(f"signing speedup vs plain pyHanko: {product_rate / plain_rate:.1f}x "
          f"(product {product_rate:.1f}/s, plain {plain_rate:.1f}/s)")


if __name__ == "__main__":
    main()
