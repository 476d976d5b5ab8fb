"""Safe XML parsing, size limits and XML signatures (XML-DSig, RSA-SHA256) for edXML.

Messages come from other deployments over the national axis, so every byte is untrusted:
- the parser never loads a DTD, never expands or resolves an entity and never touches the network; a document
  that even declares a DTD is refused (that is how billion-laughs and XXE payloads arrive);
- sizes are checked before any expensive work;
- the signature must sit at the standard's place (the envelope header), cover the whole document (``URI=""``,
  enveloped), use RSA/ECDSA with SHA-256 or better, and be made by a certificate that is one of the configured
  trusted peer certificates or issued directly by one of them (a configured CA). Trust never comes from the
  operating system store.
After verification only the canonicalised bytes that the signature covers are read ("see what is signed").
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.parsers import expat

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)
from signxml.exceptions import SignXMLException

from .errors import LimitExceeded, SignatureRefused, UnsafeXml

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
MIB = 1024 * 1024
# libxml2 refuses text nodes above this size unless huge_tree is on; attachments travel as one text node.
_LIBXML_TEXT_LIMIT = 10_000_000

_ACCEPTED_SIGNATURE_METHODS = frozenset(
    {
        SignatureMethod.RSA_SHA256,
        SignatureMethod.RSA_SHA384,
        SignatureMethod.RSA_SHA512,
        SignatureMethod.ECDSA_SHA256,
        SignatureMethod.ECDSA_SHA384,
        SignatureMethod.ECDSA_SHA512,
    }
)
_ACCEPTED_DIGESTS = frozenset({DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512})


@dataclass(frozen=True)
class ParseLimits:
    """Upper bounds applied to a received message before and while it is read.

    The defaults fit the provinces' traffic (scanned documents of a few MB, rarely dozens of files); a
    deployment can pass its own. Sizes are in bytes of decoded content, the message size in raw bytes.
    """

    max_message_bytes: int = 64 * MIB
    max_attachment_bytes: int = 40 * MIB
    max_attachments: int = 50
    max_subject_chars: int = 500
    max_recipients: int = 1000
    max_trace_headers: int = 200

    def needs_huge_tree(self) -> bool:
        """Whether an allowed attachment can exceed libxml2's default text-node limit once base64-encoded."""
        return self.max_attachment_bytes * 4 // 3 + 4 > _LIBXML_TEXT_LIMIT


DEFAULT_LIMITS = ParseLimits()


def _parser(huge_tree: bool) -> etree.XMLParser:
    """An lxml parser that cannot load, expand or fetch anything beyond the bytes it is given."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=huge_tree,
        collect_ids=False,
    )


def safe_parse(data: bytes, limits: ParseLimits = DEFAULT_LIMITS) -> etree._Element:
    """Parse untrusted bytes into an element, refusing anything with a DTD, entities or over the size limit."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError("edXML data must be bytes")
    data = bytes(data)
    if len(data) > limits.max_message_bytes:
        raise LimitExceeded(
            "message_too_large",
            f"Gói tin vượt quá dung lượng cho phép ({len(data)} byte, tối đa {limits.max_message_bytes} byte).",
        )
    if _prolog_declares_dtd(data):
        raise _dtd_refusal()
    try:
        root = etree.fromstring(data, parser=_parser(limits.needs_huge_tree()))
    except etree.XMLSyntaxError as exc:
        where = f" (dòng {exc.lineno}, cột {exc.offset})" if exc.lineno else ""
        raise UnsafeXml("malformed_xml", f"Gói tin không phải là XML hợp lệ{where}.") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _dtd_refusal()
    for _entity in root.iter(etree.Entity):
        raise _dtd_refusal()
    return root


class _StopScan(Exception):
    pass


def _prolog_declares_dtd(data: bytes) -> bool:
    """Whether the prolog has a DOCTYPE or an entity declaration, in whatever encoding expat understands.

    Expat stops at the first element, so this reads only the prolog however large the message is; it gives
    the clear "DTD forbidden" reason before libxml2 sees the bytes (libxml2 would refuse an entity bomb too,
    but as a generic syntax error). Encodings expat cannot read fall through to lxml and the docinfo check.
    """
    found = False

    def on_dtd(*_args: object) -> None:
        nonlocal found
        found = True
        raise _StopScan

    def on_element(*_args: object) -> None:
        raise _StopScan

    scanner = expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = on_dtd
    scanner.EntityDeclHandler = on_dtd
    scanner.StartElementHandler = on_element
    try:
        scanner.Parse(data, True)
    except _StopScan:
        pass
    except (expat.ExpatError, ValueError):
        pass  # not our job to report syntax: lxml does, with its own message
    return found


def _dtd_refusal() -> UnsafeXml:
    return UnsafeXml(
        "dtd_forbidden",
        "Gói tin chứa khai báo DTD hoặc thực thể XML (DOCTYPE/ENTITY); hệ thống không chấp nhận vì lý do an toàn.",
    )


# --- signing ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EdxmlSigner:
    """The agency's key and certificate (and any intermediates) used to sign outgoing messages."""

    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = field(default_factory=tuple)

    @classmethod
    def from_pem(cls, key_pem: bytes, cert_pem: bytes, password: bytes | None = None) -> EdxmlSigner:
        """Load from PEM bytes; ``cert_pem`` may hold the signing certificate followed by intermediates."""
        key = serialization.load_pem_private_key(key_pem, password=password)
        certs = x509.load_pem_x509_certificates(cert_pem)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError("only RSA and EC keys can sign edXML messages")
        return cls(private_key=key, certificate=certs[0], chain=tuple(certs[1:]))

    @classmethod
    def from_pkcs12(cls, data: bytes, password: bytes | None) -> EdxmlSigner:
        """Load from a PKCS#12 key store (the development PKI and most CAs hand these out)."""
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
        if cert is None or not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError("the PKCS#12 store has no usable key and certificate")
        return cls(private_key=key, certificate=cert, chain=tuple(extra or ()))


class _Signer(XMLSigner):
    """signxml's signer with our hardened parser (it re-parses the document while signing)."""

    def __init__(self, parser: etree.XMLParser) -> None:
        super().__init__(
            signature_algorithm=SignatureMethod.RSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )
        self._parser = parser


def placeholder_signature() -> etree._Element:
    """The element marking where the enveloped signature goes (replaced by ``sign_document``)."""
    return etree.Element(f"{{{DS_NS}}}Signature", {"Id": "placeholder"}, nsmap={"ds": DS_NS})


def sign_document(root: etree._Element, signer: EdxmlSigner, huge_tree: bool = True) -> bytes:
    """Sign the whole document (enveloped; signxml's default reference is ``URI=""``) at the placeholder.

    EC keys get ECDSA-SHA256; RSA keys RSA-SHA256 as the standard's implementations expect.
    """
    xml_signer = _Signer(_parser(huge_tree))
    if isinstance(signer.private_key, ec.EllipticCurvePrivateKey):
        xml_signer.sign_alg = SignatureMethod.ECDSA_SHA256
    signed = xml_signer.sign(
        root,
        key=signer.private_key,
        cert=[signer.certificate, *signer.chain],
    )
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


# --- verification -----------------------------------------------------------------------------------------


def _fingerprint(cert: x509.Certificate) -> bytes:
    return cert.fingerprint(hashes.SHA256())


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject or not _is_ca(issuer):
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _valid_at(cert: x509.Certificate, moment: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc


def is_trusted(
    cert: x509.Certificate,
    trusted_certs: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
    *,
    now: dt.datetime | None = None,
    max_depth: int = 5,
) -> bool:
    """True when ``cert`` is a configured trusted certificate or chains up to one.

    A trusted certificate is either a pinned peer certificate (the agency's own) or a CA (the government's
    specialised CA, or the development root); ``intermediates`` are the CA certificates the sender attached.
    Each link must be signed by a CA certificate valid at ``now``. Revocation is not checked here.
    """
    moment = now or dt.datetime.now(dt.UTC)
    anchors = {_fingerprint(t) for t in trusted_certs}
    pool = [*intermediates, *trusted_certs]
    current = cert
    for _ in range(max_depth + 1):
        if _fingerprint(current) in anchors:
            return True
        issuer = next(
            (c for c in pool if _fingerprint(c) != _fingerprint(current) and _issued_by(current, c)),
            None,
        )
        if issuer is None or not _valid_at(issuer, moment):
            return False
        current = issuer
    return False


def _signature_refused(code: str, reason_vi: str) -> SignatureRefused:
    return SignatureRefused(code, reason_vi)


def verify_document(
    root: etree._Element,
    signature_parent_path: Sequence[str],
    trusted_certs: Sequence[x509.Certificate],
    *,
    huge_tree: bool,
    now: dt.datetime | None = None,
) -> tuple[etree._Element, x509.Certificate]:
    """Verify the enveloped signature and return (the signed XML, the signing certificate).

    ``signature_parent_path`` is the list of Clark-notation tags from the root to the element that must hold
    the one and only ``ds:Signature`` of the document.
    """
    signatures = list(root.iter(f"{{{DS_NS}}}Signature"))
    if not signatures:
        raise _signature_refused("signature_missing", "Gói tin không có chữ ký số XML của cơ quan gửi.")
    if len(signatures) > 1:
        raise _signature_refused("signature_ambiguous", "Gói tin có nhiều hơn một chữ ký số XML.")
    signature = signatures[0]
    parent = root
    for tag in signature_parent_path:
        parent = parent.find(tag) if parent is not None else None
    if parent is None or signature.getparent() is not parent:
        raise _signature_refused(
            "signature_misplaced", "Chữ ký số XML không nằm ở vị trí quy định trong phần đầu gói tin."
        )

    references = signature.findall(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}Reference")
    if len(references) != 1 or references[0].get("URI") != "":
        raise _signature_refused(
            "signature_scope", "Chữ ký số XML không bao toàn bộ gói tin (tham chiếu phải là URI rỗng)."
        )

    cert_texts = [
        element.text or ""
        for element in signature.iterfind(
            f"{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/{{{DS_NS}}}X509Certificate"
        )
    ]
    if not cert_texts or not cert_texts[0].strip():
        raise _signature_refused("certificate_missing", "Chữ ký số XML không kèm chứng thư số của người ký.")
    try:
        # signxml (and the public SDKs) write the signing certificate first, then its chain.
        certs = [
            x509.load_der_x509_certificate(base64.b64decode("".join(t.split()), validate=True))
            for t in cert_texts
        ]
    except (ValueError, TypeError) as exc:
        raise _signature_refused("certificate_invalid", "Chứng thư số kèm chữ ký không đọc được.") from exc
    cert = certs[0]
    moment = now or dt.datetime.now(dt.UTC)

    if not is_trusted(cert, trusted_certs, certs[1:], now=moment):
        raise _signature_refused(
            "certificate_untrusted",
            "Chứng thư số của cơ quan gửi không thuộc danh sách chứng thư tin cậy đã cấu hình "
            f"(chủ thể: {cert.subject.rfc4514_string()}).",
        )
    if not _valid_at(cert, moment):
        raise _signature_refused(
            "certificate_expired",
            "Chứng thư số của cơ quan gửi đã hết hạn hoặc chưa có hiệu lực "
            f"(hiệu lực từ {cert.not_valid_before_utc:%d/%m/%Y} đến {cert.not_valid_after_utc:%d/%m/%Y}).",
        )

    location = "./" + "".join(f"{tag}/" for tag in signature_parent_path)
    config = SignatureConfiguration(
        location=location,
        expect_references=1,
        signature_methods=_ACCEPTED_SIGNATURE_METHODS,
        digest_algorithms=_ACCEPTED_DIGESTS,
    )
    try:
        result = XMLVerifier().verify(root, x509_cert=cert, expect_config=config, parser=_parser(huge_tree))
    except (SignXMLException, InvalidSignature, etree.LxmlError, ValueError) as exc:
        raise _signature_refused(
            "signature_invalid",
            "Chữ ký số XML không hợp lệ: nội dung gói tin đã bị thay đổi sau khi ký hoặc chữ ký bị hỏng.",
        ) from exc
    if result.signed_xml is None:  # pragma: no cover - signxml returns None only for non-XML payloads
        raise _signature_refused("signature_invalid", "Không đọc được phần nội dung được ký.")
    return result.signed_xml, cert
