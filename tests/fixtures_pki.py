"""Development PKI fixtures for every test that signs or validates.

- ``dev_pki`` (session): a :class:`signing.pki.DevPKI` in a temporary directory, its loopback services running
  (``dev_pki.services.url``, ``dev_pki.services.tsa_url``), with the subjects of ``DEV_SUBJECTS``: two people and
  two agency seals of the Sở Tư pháp, plus the provincial People's Committee's chairman and seal.
- ``pki_signer``: ``pki_signer(key) -> SimpleSigner`` for one of those subjects (or any subject issued later),
  cached per certificate so a test pays the PKCS#12 decryption once.
- ``pki_timestamper``: a pyHanko ``HTTPTimeStamper`` on the loopback TSA.
- ``pki_validation_context``: ``pki_validation_context(**kw) -> ValidationContext`` trusting only the dev root.
- ``new_pki_subject``: ``new_pki_subject(kind="person") -> Subject``, a fresh subject with its own certificate,
  for tests that revoke or replace certificates without disturbing the shared ones.
- ``dev_pki_settings``: Django settings pointed at the session PKI (PKI_DIR, SIGNING_TRUST_ROOTS,
  SIGNING_TSA_URL).
- ``sample_pdf``: bytes of a one-page A4 PDF with Vietnamese text in Liberation Serif.
- ``pdfsig_nssdb`` (session): an NSS database (``sql:<dir>``) trusting the dev root, for poppler's ``pdfsig``;
  ``run_pdfsig(data) -> str`` runs ``pdfsig -nssdir`` on PDF bytes and returns its output. Assert
  "Signature Validation: Signature is Valid." per signature, and "Certificate is Trusted." once per distinct
  certificate (poppler 22.12 complains about repeated certificates, see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import io
import itertools
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from signing.dev.services import DevServices
from signing.pki import DevPKI, Subject

AGENCY_STP = "Sở Tư pháp tỉnh Bình Minh"
AGENCY_UBND = "Ủy ban nhân dân tỉnh Bình Minh"

DIRECTOR_KEY = "giamdoc.stp"
CLERK_KEY = "vanthu.stp"
CHAIRMAN_KEY = "chutich.ubnd"
SEAL_STP_KEY = "seal:000.00.20.H01"
SEAL_UBND_KEY = "seal:000.00.00.H01"

DEV_SUBJECTS: tuple[Subject, ...] = (
    Subject(DIRECTOR_KEY, "Nguyễn Văn An", AGENCY_STP, "person", "an.nv@stp.binhminh.gov.vn", "Giám đốc"),
    Subject(CLERK_KEY, "Trần Thị Bích Ngọc", AGENCY_STP, "person", "ngoc.ttb@stp.binhminh.gov.vn", "Văn thư"),
    Subject(CHAIRMAN_KEY, "Lê Hoàng Đức", AGENCY_UBND, "person", "duc.lh@binhminh.gov.vn", "Chủ tịch"),
    Subject(SEAL_STP_KEY, AGENCY_STP, AGENCY_STP, "seal", "stp@binhminh.gov.vn"),
    Subject(SEAL_UBND_KEY, AGENCY_UBND, AGENCY_UBND, "seal", "ubnd@binhminh.gov.vn"),
)

_counter = itertools.count(1)


def free_loopback_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the PKI needs its URL before the server binds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_dev_pki(directory: Path, subjects: tuple[Subject, ...] = DEV_SUBJECTS) -> DevPKI:
    """Create a PKI in ``directory`` and start its services; the caller stops ``pki.services``."""
    for _attempt in range(5):
        port = free_loopback_port()
        pki = DevPKI(directory, services_url=f"http://127.0.0.1:{port}")
        pki.ensure(subjects)
        services = DevServices(pki, port=port)
        try:
            services.start()
        except OSError:  # someone took the port in between: the certificates already name it, start over
            for child in directory.iterdir():
                if child.is_file():
                    child.unlink()
            continue
        pki.services = services
        return pki
    raise RuntimeError("no free loopback port for the development PKI services")


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevPKI]:
    pki = start_dev_pki(tmp_path_factory.mktemp("pki"))
    try:
        yield pki
    finally:
        pki.services.stop()


@pytest.fixture(scope="session")
def pki_signer(dev_pki: DevPKI) -> Callable[[str], Any]:
    """``pki_signer(key)`` -> a pyHanko ``SimpleSigner`` holding the subject's key, certificate and chain."""
    from pyhanko.sign.signers import SimpleSigner

    cache: dict[tuple[str, int], SimpleSigner] = {}

    def get(key: str) -> SimpleSigner:
        serial = dev_pki.certificate(key).serial_number
        signer = cache.get((key, serial))
        if signer is None:
            signer = SimpleSigner.load_pkcs12_data(
                dev_pki.key_store_path(key).read_bytes(),
                other_certs=[],
                passphrase=dev_pki.key_store_passphrase(key),
            )
            cache[(key, serial)] = signer
        return signer

    return get


@pytest.fixture(scope="session")
def pki_timestamper(dev_pki: DevPKI) -> Any:
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(dev_pki.services.tsa_url)


@pytest.fixture
def pki_validation_context(dev_pki: DevPKI) -> Callable[..., Any]:
    """``pki_validation_context(allow_fetching=True, **kwargs)`` -> a ValidationContext trusting the dev root."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko_certvalidator import ValidationContext

    root = load_cert_from_pemder(str(dev_pki.root_cert_path))

    def make(**kwargs: Any) -> ValidationContext:
        kwargs.setdefault("allow_fetching", True)
        kwargs.setdefault("revocation_mode", "hard-fail")
        return ValidationContext(trust_roots=[root], **kwargs)

    return make


@pytest.fixture
def new_pki_subject(dev_pki: DevPKI) -> Callable[..., Subject]:
    """``new_pki_subject(kind="person", **issue_kwargs)`` -> a new subject with a fresh certificate."""

    def make(kind: str = "person", **issue_kwargs: Any) -> Subject:
        n = next(_counter)
        if kind == "seal":
            subject = Subject(f"seal:TEST.{n:03d}", f"Cơ quan thử nghiệm số {n}", f"Cơ quan thử nghiệm số {n}", "seal")
        else:
            subject = Subject(f"test.user{n}", f"Phạm Thị Thử {n}", AGENCY_STP, "person", title="Chuyên viên")
        dev_pki.issue(subject, **issue_kwargs)
        return subject

    return make


@pytest.fixture
def dev_pki_settings(settings: Any, dev_pki: DevPKI) -> Any:
    """Django settings pointing the signing code at the session PKI and its TSA."""
    settings.PKI_DIR = dev_pki.directory
    settings.SIGNING_TRUST_ROOTS = [str(dev_pki.root_cert_path)]
    settings.SIGNING_TSA_URL = dev_pki.services.tsa_url
    return settings




def make_sample_pdf(lines: tuple[str, ...] = (), pages: int = 1) -> bytes:
    """A plain A4 PDF (no signature) with Vietnamese text in Liberation Serif, made with reportlab."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    from signing.images import font_path

    # Its own reportlab name: reportlab shares fonts between callers by name, and the product's renderer
    # registers its own copy.
    if "TestLiberationSerif" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("TestLiberationSerif", str(font_path("Regular"))))
    lines = lines or (
        "ỦY BAN NHÂN DÂN TỈNH BÌNH MINH          CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "SỞ TƯ PHÁP                                          Độc lập - Tự do - Hạnh phúc",
        "Số: 45/STP-VP                                  Bình Minh, ngày 20 tháng 11 năm 2026",
        "V/v triển khai hệ thống quản lý văn bản và điều hành",
        "Kính gửi: Các phòng, đơn vị thuộc Sở.",
        "Đề nghị các đơn vị thực hiện ký số văn bản điện tử theo quy định.",
    )
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle("Công văn thử nghiệm")
    for page in range(pages):
        pdf.setFont("TestLiberationSerif", 13)
        y = A4[1] - 72
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 20
        pdf.drawString(72, 60, f"Trang {page + 1}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.fixture(scope="session")
def sample_pdf() -> bytes:
    return make_sample_pdf()


@pytest.fixture(scope="session")
def pdfsig_nssdb(dev_pki: DevPKI, tmp_path_factory: pytest.TempPathFactory) -> str:
    directory = tmp_path_factory.mktemp("nssdb")
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True, timeout=60)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{directory}", "-n", "eoffice-dev-root", "-t", "CT,C,C",
         "-i", str(dev_pki.root_cert_path)],
        check=True,
        timeout=60,
    )
    return f"sql:{directory}"


@pytest.fixture(scope="session")
def run_pdfsig(pdfsig_nssdb: str) -> Callable[[bytes], str]:
    def run(data: bytes) -> str:
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(data)
            handle.flush()
            result = subprocess.run(
                ["pdfsig", "-nssdir", pdfsig_nssdb, handle.name], capture_output=True, text=True, timeout=120
            )
        return result.stdout + result.stderr

    return run
