"""Fixtures for the edXML codec tests: throwaway certificates made with ``cryptography`` and a full message.

The certificates are generated once per session (RSA key generation is the slow part) and never touch disk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from eoffice.interchange.edxml import (
    VN_TZ,
    Attachment,
    Bussiness,
    BussinessDocumentInfo,
    Code,
    DocumentType,
    EdxmlMessage,
    EdxmlSigner,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    TraceHeader,
    TraceHeaderList,
    format_document_id,
)

NOW = dt.datetime.now(dt.UTC)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Thử nghiệm liên thông"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@dataclass
class Issued:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    def signer(self, *chain: x509.Certificate) -> EdxmlSigner:
        return EdxmlSigner(private_key=self.key, certificate=self.cert, chain=tuple(chain))


def make_cert(
    common_name: str,
    *,
    issuer: Issued | None = None,
    ca: bool = False,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> Issued:
    """A certificate for ``common_name``, self-signed unless ``issuer`` is given."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = _name(common_name)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - dt.timedelta(days=1))
        .not_valid_after(not_after or NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    return Issued(key=key, cert=cert)


@pytest.fixture(scope="session")
def root_ca() -> Issued:
    return make_cert("CA chuyên dùng thử nghiệm", ca=True)


@pytest.fixture(scope="session")
def intermediate_ca(root_ca: Issued) -> Issued:
    return make_cert("CA trung gian thử nghiệm", issuer=root_ca, ca=True)


@pytest.fixture(scope="session")
def agency(root_ca: Issued) -> Issued:
    """The sending agency's seal certificate, issued directly by the trusted root."""
    return make_cert("Sở Tư pháp tỉnh Bình Minh", issuer=root_ca)


@pytest.fixture(scope="session")
def signer(agency: Issued) -> EdxmlSigner:
    return agency.signer()


@pytest.fixture(scope="session")
def trusted(root_ca: Issued) -> list[x509.Certificate]:
    return [root_ca.cert]


@pytest.fixture(scope="session")
def stranger() -> Issued:
    """A self-signed certificate nobody configured."""
    return make_cert("Cơ quan lạ không được tin cậy")


def full_message() -> EdxmlMessage:
    """A message with every header and trace field set to a distinct, Vietnamese value."""
    date = dt.date(2024, 3, 5)
    header = MessageHeader(
        sender=Organization(
            organ_id="000.00.20.H01",
            organ_name="Sở Tư pháp tỉnh Bình Minh",
            organization_in_charge="Ủy ban nhân dân tỉnh Bình Minh",
            organ_add="Số 1 đường Trần Hưng Đạo, phường Đông Hà",
            email="stp@binhminh.gov.vn",
            telephone="0233 3852 123",
            fax="0233 3852 124",
            website="https://stp.binhminh.gov.vn",
        ),
        recipients=[
            Organization(organ_id="000.00.00.G22", organ_name="Bộ Tư pháp", email="vanthu@moj.gov.vn"),
            Organization(
                organ_id="000.00.00.H01",
                organ_name="Ủy ban nhân dân tỉnh Bình Minh",
                organ_add="Số 45 Hùng Vương",
                telephone="0233 3111 222",
                fax="0233 3111 223",
                website="https://binhminh.gov.vn",
                organization_in_charge="Chính phủ",
            ),
        ],
        document_id=format_document_id("000.00.20.H01", date, "45", "STP-VP"),
        subject="V/v triển khai hệ thống quản lý văn bản và điều hành & ký số văn bản điện tử <năm 2024>",
        code=Code(code_number="45", code_notation="STP-VP"),
        promulgation_info=PromulgationInfo(place="Bình Minh", promulgation_date=date),
        document_type=DocumentType(type=18, type_name="Công văn", type_detail="0"),
        content="Đề nghị các đơn vị thực hiện ký số văn bản điện tử theo quy định.\nTrân trọng.",
        signer_info=SignerInfo(competence="KT. GIÁM ĐỐC", position="Phó Giám đốc", full_name="Nguyễn Văn An"),
        due_date=dt.date(2024, 3, 20),
        to_places=["Như trên", "Lưu: VT, VP"],
        other_info=OtherInfo(
            priority=2,
            sphere_of_promulgation="Liên thông văn bản quốc gia",
            typer_notation="NTH",
            promulgation_amount=5,
            page_amount=3,
            appendixes=["Phụ lục I: Danh sách đơn vị", "Phụ lục II: Lộ trình"],
        ),
        response_for=[
            ResponseFor(
                organ_id="000.00.00.G22",
                code="123/BTP-CNTT",
                promulgation_date=dt.date(2024, 2, 1),
                document_id="000.00.00.G22,2024/02/01,123/BTP-CNTT",
            )
        ],
        steering_type=1,
    )
    trace = TraceHeaderList(
        trace_headers=[
            TraceHeader(organ_id="000.00.20.H01", timestamp=dt.datetime(2024, 3, 5, 8, 30, 15, tzinfo=VN_TZ)),
            TraceHeader(organ_id="000.00.00.H01", timestamp=dt.datetime(2024, 3, 5, 8, 31, 0, tzinfo=VN_TZ)),
        ],
        bussiness=Bussiness(
            bussiness_doc_type=3,
            bussiness_doc_reason="Thay thế văn bản ban hành sai thể thức",
            bussiness_document_info=BussinessDocumentInfo(
                document_info="1",
                document_receiver="1",
                receivers=[
                    Receiver(receiver_type=1, organ_id="000.00.00.G22"),
                    Receiver(receiver_type=0, organ_id="000.00.21.H01"),
                ],
            ),
            document_id="000.00.20.H01,2024/03/01,40/STP-VP",
            staff_info=StaffInfo(
                department="Văn phòng Sở",
                staff="Trần Thị Bích Ngọc",
                mobile="0912 345 678",
                email="ngoc.ttb@stp.binhminh.gov.vn",
            ),
            paper=1,
            replacement_info=[
                ReplacementInfo(
                    document_id="000.00.20.H01,2024/03/01,40/STP-VP",
                    organ_ids=["000.00.00.G22", "000.00.00.H01"],
                )
            ],
        ),
    )
    return EdxmlMessage(header=header, trace=trace)


def sample_attachments() -> list[Attachment]:
    return [
        Attachment(
            content_id="a1b2c3",
            name="45-STP-VP.pdf",
            content_type="application/pdf",
            data=b"%PDF-1.7\n" + bytes(range(256)) * 4,
            description="Văn bản chính",
        ),
        Attachment(
            content_id="d4e5f6",
            name="Phụ lục I.docx",
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            data=b"PK\x03\x04 phu luc",
            description="Phụ lục kèm theo",
        ),
    ]


@pytest.fixture
def message_factory() -> Callable[[], EdxmlMessage]:
    return full_message
