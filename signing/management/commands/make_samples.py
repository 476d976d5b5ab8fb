"""``python manage.py make_samples OUTDIR``: the seven kinds of documents that circulate without paper, signed.

Each sample is rendered in the Decree 30 layout, signed by the competent person in its signature block, numbered
and dated by the clerk (form fields filled after the signature), then sealed by the agency. ``van-ban-sao-gui.pdf``
is another agency's signed and sealed decision that the commune copies ("sao y") and sends on, so it carries the
copying agency's copy signature as a third signature. ``root-ca.pem`` is the development root that validates them.

The development PKI in ``settings.PKI_DIR`` is used, created if absent with the subjects the samples need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from signing import pades
from signing.dev.samples import sample_document
from signing.dev.services import DevServices, is_listening
from signing.documents import date_line, render_document
from signing.images import seal_image, signature_image
from signing.keys import SoftwareKeyStore
from signing.pki import DevPKI, Subject

COMMUNE = "Ủy ban nhân dân xã Bình Minh"
DISTRICT = "Ủy ban nhân dân huyện Đông Hòa"
PROVINCE = "Ủy ban nhân dân tỉnh Bình Minh"


@dataclass(frozen=True)
class Signatory:
    subject: Subject
    position: str
    capacity: str | None


COMMUNE_LEADER = Signatory(
    Subject("sample.pct.xabinhminh", "Nguyễn Văn An", COMMUNE, "person", title="Phó Chủ tịch"), "Phó Chủ tịch",
    "KT. Chủ tịch",
)
DISTRICT_LEADER = Signatory(
    Subject("sample.ct.dongHoa", "Lê Thị Hoa", DISTRICT, "person", title="Chủ tịch"), "Chủ tịch",
    "TM. Ủy ban nhân dân",
)
COMMUNE_SEAL = Subject("seal:sample.H40.01.01", COMMUNE, COMMUNE, "seal")
DISTRICT_SEAL = Subject("seal:sample.H40.01", DISTRICT, DISTRICT, "seal")
SUBJECTS = (COMMUNE_LEADER.subject, DISTRICT_LEADER.subject, COMMUNE_SEAL, DISTRICT_SEAL)

SAMPLES = ("cong-van", "bao-cao", "ke-hoach", "thong-bao", "giay-moi", "lich-cong-tac")
ISSUED = date(2026, 11, 22)


def _store(pki: DevPKI, subject: Subject) -> SoftwareKeyStore:
    return SoftwareKeyStore(pki.key_store_path(subject.key), pki.key_store_passphrase(subject.key))


def _issue(pki: DevPKI, kind: str, number: int, leader: Signatory, seal: Subject, agency: str, superior: str,
           abbreviation: str, place: str, issued: date) -> bytes:
    """Draft → leader signs → clerk numbers and dates → agency seals: one outgoing document."""
    document = sample_document(
        kind, agency=agency, superior_agency=superior, agency_abbreviation=abbreviation,
        signer_name=leader.subject.common_name, signer_position=leader.position, signer_capacity=leader.capacity,
        seed=number,
    )
    document.place = place
    notation = sample_document(kind, agency_abbreviation=abbreviation, notation_number=number).notation
    pdf = pades.add_number_date_fields(render_document(document))
    pdf = pades.sign_person(pdf, _store(pki, leader.subject), name=leader.subject.common_name,
                            position=leader.position, signature_image=signature_image(leader.subject.common_name))
    pdf = pades.fill_number_date(pdf, notation or "", date_line(place, issued))
    return pades.sign_seal(pdf, _store(pki, seal), agency_name=agency,
                           seal_image=seal_image(agency, superior_name=superior))


def make_samples(outdir: Path, pki_dir: Path, services_url: str | None = None) -> list[Path]:
    """Write the seven signed samples and ``root-ca.pem`` into ``outdir``; returns the paths written."""
    outdir.mkdir(parents=True, exist_ok=True)
    pki = DevPKI(pki_dir, services_url) if services_url else DevPKI(pki_dir)
    pki.ensure(SUBJECTS)
    written = []
    for number, kind in enumerate(SAMPLES, start=41):
        pdf = _issue(pki, kind, number, COMMUNE_LEADER, COMMUNE_SEAL, COMMUNE, DISTRICT, "UBND", "Bình Minh",
                     ISSUED)
        path = outdir / f"{kind}.pdf"
        path.write_bytes(pdf)
        written.append(path)
    # A decision of the district, copied by the commune (sao y) and sent on to its units.
    original = _issue(pki, "van-ban-sao-gui", 12, DISTRICT_LEADER, DISTRICT_SEAL, DISTRICT, PROVINCE, "UBND",
                      "Đông Hòa", date(2026, 11, 18))
    copy = pades.sign_copy(original, _store(pki, COMMUNE_SEAL), copy_form="sao y", copy_number="05/SY-UBND",
                           agency_name=COMMUNE)
    path = outdir / "van-ban-sao-gui.pdf"
    path.write_bytes(copy)
    written.append(path)
    root = outdir / "root-ca.pem"
    root.write_bytes(pki.root_cert_path.read_bytes())
    written.append(root)
    return written



class Command(BaseCommand):
    help = "Tạo bộ văn bản mẫu đã ký số (7 loại văn bản điện tử) và chứng thư gốc để kiểm tra."

    def add_arguments(self, parser) -> None:
        parser.add_argument("outdir", type=Path, help="Thư mục ghi các tệp PDF mẫu")

    def handle(self, *args, outdir: Path, **options) -> None:
        port = settings.SIGNING_DEV_SERVICES_PORT
        pki_url = f"http://127.0.0.1:{port}"
        pki = DevPKI(Path(settings.PKI_DIR), pki_url)
        pki.ensure(SUBJECTS)
        # Signing checks revocation with the PKI's OCSP/CRL first. `make run` serves them; when they are not
        # running, serve them from here for the duration of the command.
        services = None
        if not is_listening(port):
            services = DevServices(pki, port=port)
            services.start()
        try:
            written = make_samples(outdir, Path(settings.PKI_DIR), pki_url)
        finally:
            if services is not None:
                services.stop()
        for path in written:
            self.stdout.write(f"Đã ghi {path}")
