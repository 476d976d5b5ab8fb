"""Two-step ("remote") signing for keys that never leave the official's own computer.

An official's USB token is plugged into their PC, not into the server. So the server prepares the document (the
visible signature with the same appearance as a one-shot person signature, the placeholder for the signature, the
CMS signed attributes), the browser hands the digest to the signing agent on the PC (:mod:`signing.agent`), the
token signs it, and the server embeds the signature value.

The browser round trip can take a minute (the official finds the token, types the PIN) and may come back to
another worker process, so :func:`prepare` returns everything in :attr:`PreparedSignature.state`: a JSON text, no
live objects, to keep in the database (or a server-side session) until :func:`complete`. :func:`complete` trusts
nothing it receives: it checks the state still hashes to what was signed, checks the signature value against the
certificate before embedding it, and validates the finished document before returning it, so a forged or
mismatched value can never produce a stored "signed" document.

This follows pyHanko's interrupted-signing API: ``PdfSigner.digest_doc_for_signing`` with an ``ExternalSigner``
placeholder, then ``ExternalSigner.sign_prescribed_attributes`` and ``PreparedByteRangeDigest.fill_with_cms``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from asn1crypto import algos, cms
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import find_unique_cms_attribute
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.appearance import SignatureBlock
from signing.pades import SignaturePlan, plan_person_signature
from signing.preflight import check_before_signing

__all__ = [
    "STATE_VERSION",
    "PreparedSignature",
    "SignatureRejectedError",
    "TwoStepError",
    "complete",
    "prepare",
]

STATE_VERSION = 1
_STATE_KIND = "eoffice.twostep"
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class TwoStepError(Exception):
    """The two-step signature cannot go on (bad state, bad input); the message is for the user (Vietnamese)."""


class SignatureRejectedError(TwoStepError):
    """The signature value sent back does not belong to this document and certificate."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _asn1_cert(cert: Any) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, bytes | bytearray):
        return asn1_x509.Certificate.load(bytes(cert))
    public_bytes = getattr(cert, "public_bytes", None)  # cryptography.x509.Certificate
    if public_bytes is not None:
        from cryptography.hazmat.primitives.serialization import Encoding

        return asn1_x509.Certificate.load(public_bytes(Encoding.DER))
    raise TypeError(f"not a certificate: {cert!r}")


@dataclass(frozen=True)
class PreparedSignature:
    """What :func:`prepare` hands back: the bytes the token must sign, and the state to finish with.

    ``data_to_sign`` is the DER of the CMS signed attributes; ``digest`` is its hash with ``digest_algorithm``.
    A token signs either (the agent accepts both); ``state`` goes to storage, never to the browser.
    """

    state: str
    data_to_sign: bytes
    digest: bytes
    digest_algorithm: str
    signature_algorithm: str  # "rsassa_pkcs1v15" or "ecdsa": what the token must do with the digest
    # The full mechanism the token must use, stated to the agent: "rsassa_pkcs1v15" (CKM_RSA_PKCS over a
    # DigestInfo), "ecdsa" (CKM_ECDSA). Tokens of officials sign PKCS#1 v1.5: RSASSA-PSS is used for server-side keys
    # (signing.keys / signing.pkcs11 with "rsa_padding": "pss"); the two-step path refuses any other answer.
    certificate_fingerprint: str  # SHA-256 of the signing certificate (DER), hex: the agent's certificate id
    field_name: str

    def agent_request(self) -> dict[str, str]:
        """The JSON body for the signing agent's ``POST /sign`` (the page adds the PIN)."""
        return {
            "certificate_id": self.certificate_fingerprint,
            "digest": _b64(self.digest),
            "algorithm": self.digest_algorithm,
            "mechanism": self.signature_algorithm,
        }


def _placeholder_size(cert: asn1_x509.Certificate) -> int:
    """Bytes of a signature value for this key, so the reserved /Contents fits the real one."""
    public_key = cert.public_key
    if public_key.algorithm == "rsa":
        return (public_key.bit_size + 7) // 8
    if public_key.algorithm == "ec":
        # DER ECDSA-Sig-Value: two INTEGERs of at most (field size + 1) bytes, plus headers.
        return 2 * ((public_key.bit_size + 7) // 8 + 1) + 8
    raise TwoStepError("Chứng thư số dùng loại khóa không được hỗ trợ (chỉ hỗ trợ RSA và ECDSA).")


async def _prepare(
    pdf: bytes, chain: Sequence[asn1_x509.Certificate], plan: SignaturePlan, timestamper: TimeStamper | None
) -> PreparedSignature:
    metadata = plan.metadata
    signing_cert, others = chain[0], list(chain[1:])
    md_algorithm = (metadata.md_algorithm or "sha256").lower()
    if md_algorithm not in _HASHES:
        raise TwoStepError(f"Thuật toán băm không được hỗ trợ: {md_algorithm}.")
    metadata = replace(metadata, md_algorithm=md_algorithm, subfilter=fields.SigSeedSubFilter.PADES)
    registry = SimpleCertificateStore()
    registry.register_multiple(others)
    placeholder = signers.ExternalSigner(
        signing_cert=signing_cert,
        cert_registry=registry,
        signature_value=bytes(_placeholder_size(signing_cert)),
    )
    pdf_signer = replace(plan, metadata=metadata).pdf_signer(placeholder, timestamper)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    prepared_digest, tbs_document, output = await pdf_signer.async_digest_doc_for_signing(writer)
    signed_attrs = await placeholder.signed_attrs(
        prepared_digest.document_digest,
        md_algorithm,
        attr_settings=PdfCMSSignedAttributes(cades_signed_attrs=metadata.cades_signed_attr_spec),
        use_pades=True,
        timestamper=timestamper,
    )
    mechanism = placeholder.get_signature_mechanism_for_digest(md_algorithm)
    data_to_sign = signed_attrs.dump()
    output.seek(0)
    state = {
        "kind": _STATE_KIND,
        "version": STATE_VERSION,
        "prepared_at": datetime.now(UTC).isoformat(),
        "field_name": metadata.field_name,
        "md_algorithm": md_algorithm,
        "signature_mechanism": _b64(mechanism.dump()),
        "document_digest": _b64(prepared_digest.document_digest),
        "reserved_region": [prepared_digest.reserved_region_start, prepared_digest.reserved_region_end],
        "signed_attrs": _b64(data_to_sign),
        "certificate": _b64(signing_cert.dump()),
        "chain": [_b64(cert.dump()) for cert in others],
        "timestamp_url": getattr(timestamper, "url", None),
        # The reserved /Contents is thousands of hex zeros: compressed, the state is a fraction of the PDF.
        "pdf_z": _b64(zlib.compress(output.read(), 6)),
    }
    return PreparedSignature(
        state=json.dumps(state, separators=(",", ":")),
        data_to_sign=data_to_sign,
        digest=hashlib.new(md_algorithm, data_to_sign).digest(),
        digest_algorithm=md_algorithm,
        signature_algorithm=mechanism.signature_algo,
        certificate_fingerprint=hashlib.sha256(signing_cert.dump()).hexdigest(),
        field_name=metadata.field_name,
    )


def prepare(
    pdf: bytes,
    *,
    chain: Iterable[Any],
    name: str,
    position: str,
    signature_image: bytes | None,
    block: SignatureBlock | None = None,
    field_name: str | None = None,
    timestamper: TimeStamper | None = None,
    plan: SignaturePlan | None = None,
    preflight: bool | None = None,
    trust_roots: Sequence[Any] | None = None,
) -> PreparedSignature:
    """Prepare ``pdf`` for a person's signature made elsewhere (the official's token, through the agent).

    ``chain`` is the signing certificate first, then its issuers (asn1crypto or ``cryptography`` certificates, or
    DER bytes): the certificate the agent listed for the official. ``name``, ``position``, ``signature_image`` and
    ``block`` are those of :func:`signing.pades.sign_person`: the same :func:`signing.pades.plan_person_signature`
    gives the same visible signature. With a ``timestamper``, room is reserved for a signature timestamp, fetched
    in :func:`complete`. ``plan`` replaces the person's plan with another one (a seal, an attachment signature).

    The certificate is checked before any digest is returned (:func:`signing.preflight.check_before_signing`):
    an expired, revoked or untrusted one raises :class:`signing.preflight.CertificateNotUsableError`, so the
    official's token is never asked to sign with it. ``preflight`` False skips the check, None follows
    ``settings.SIGNING_PREFLIGHT``; ``trust_roots`` default to the configured ones.
    """
    certs = [_asn1_cert(cert) for cert in chain]
    if not certs:
        raise TwoStepError("Thiếu chứng thư số của người ký.")
    check_before_signing(certs, preflight=preflight, trust_roots=trust_roots)
    if plan is None:
        plan = plan_person_signature(
            pdf, name=name, position=position, signature_image=signature_image, block=block, field_name=field_name
        )
    return asyncio.run(_prepare(pdf, certs, plan, timestamper))


@dataclass(frozen=True)
class _State:
    field_name: str
    md_algorithm: str
    mechanism: algos.SignedDigestAlgorithm
    document_digest: bytes
    reserved_region: tuple[int, int]
    signed_attrs: cms.CMSAttributes
    signed_attrs_der: bytes
    certificate: asn1_x509.Certificate
    chain: list[asn1_x509.Certificate]
    timestamp_url: str | None
    pdf: bytes


def _load_state(state: str | bytes) -> _State:
    try:
        raw = json.loads(state)
        if raw.get("kind") != _STATE_KIND or raw.get("version") != STATE_VERSION:
            raise ValueError("unknown state kind or version")
        signed_attrs_der = _unb64(raw["signed_attrs"])
        start, end = (int(x) for x in raw["reserved_region"])
        loaded = _State(
            field_name=str(raw["field_name"]),
            md_algorithm=str(raw["md_algorithm"]),
            mechanism=algos.SignedDigestAlgorithm.load(_unb64(raw["signature_mechanism"])),
            document_digest=_unb64(raw["document_digest"]),
            reserved_region=(start, end),
            signed_attrs=cms.CMSAttributes.load(signed_attrs_der),
            signed_attrs_der=signed_attrs_der,
            certificate=asn1_x509.Certificate.load(_unb64(raw["certificate"])),
            chain=[asn1_x509.Certificate.load(_unb64(c)) for c in raw["chain"]],
            timestamp_url=raw.get("timestamp_url"),
            pdf=zlib.decompress(_unb64(raw["pdf_z"])),
        )
        loaded.signed_attrs.native  # noqa: B018 - parse eagerly: a damaged state must fail here, not later
        loaded.certificate.native  # noqa: B018
        if loaded.md_algorithm not in _HASHES or not 0 < start < end <= len(loaded.pdf):
            raise ValueError("inconsistent state")
    except (ValueError, KeyError, TypeError, zlib.error) as exc:
        raise TwoStepError("Phiên ký không hợp lệ hoặc đã bị hỏng; hãy bắt đầu ký lại.") from exc
    return loaded


def _check_document_digest(state: _State) -> None:
    """The stored PDF, the digest and the signed attributes must all agree (the state may have been altered)."""
    start, end = state.reserved_region
    digest = hashlib.new(state.md_algorithm)
    digest.update(state.pdf[:start])
    digest.update(state.pdf[end:])
    message_digest = find_unique_cms_attribute(state.signed_attrs, "message_digest").native
    if digest.digest() != state.document_digest or message_digest != state.document_digest:
        raise TwoStepError("Phiên ký không hợp lệ: tài liệu đã chuẩn bị không khớp với dữ liệu cần ký.")


def _check_signature_value(state: _State, signature_value: bytes) -> None:
    """Verify the raw value over the signed attributes with the certificate's public key, before embedding."""
    rejected = SignatureRejectedError(
        "Chữ ký số không hợp lệ: giá trị chữ ký nhận được không khớp với tài liệu và chứng thư số của người ký. "
        "Tài liệu chưa được ký; hãy ký lại bằng đúng token của mình."
    )
    if not signature_value:
        raise rejected
    public_key = load_der_public_key(state.certificate.public_key.dump())
    hash_algorithm = _HASHES[state.md_algorithm]()
    algo = state.mechanism.signature_algo
    try:
        if isinstance(public_key, rsa.RSAPublicKey) and algo == "rsassa_pkcs1v15":
            public_key.verify(signature_value, state.signed_attrs_der, padding.PKCS1v15(), hash_algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey) and algo == "ecdsa":
            public_key.verify(signature_value, state.signed_attrs_der, ec.ECDSA(hash_algorithm))
        else:
            raise TwoStepError("Chứng thư số dùng loại khóa không được hỗ trợ (chỉ hỗ trợ RSA và ECDSA).")
    except (InvalidSignature, ValueError) as exc:
        raise rejected from exc


def _default_validation_context(state: _State) -> ValidationContext:
    """Trust the top of the chain given at prepare time; the caller passes the configured roots in production."""
    roots = [c for c in state.chain if c.self_signed] or state.chain[-1:] or [state.certificate]
    others = [c for c in state.chain if c not in roots]
    return ValidationContext(trust_roots=roots, other_certs=others, allow_fetching=False, revocation_mode="soft-fail")


async def _embed(state: _State, signature_value: bytes, timestamper: TimeStamper | None) -> bytes:
    registry = SimpleCertificateStore()
    registry.register_multiple(state.chain)
    external = signers.ExternalSigner(
        signing_cert=state.certificate,
        cert_registry=registry,
        signature_value=signature_value,
        signature_mechanism=state.mechanism,
    )
    if timestamper is None and state.timestamp_url:
        timestamper = HTTPTimeStamper(state.timestamp_url)
    signature_cms = await external.async_sign_prescribed_attributes(
        state.md_algorithm, signed_attrs=state.signed_attrs, timestamper=timestamper
    )
    output = io.BytesIO(state.pdf)
    prepared = PreparedByteRangeDigest(
        document_digest=state.document_digest,
        reserved_region_start=state.reserved_region[0],
        reserved_region_end=state.reserved_region[1],
    )
    try:
        prepared.fill_with_cms(output, signature_cms)
    except Exception as exc:  # noqa: BLE001 - pyHanko raises SigningError when the CMS outgrew the placeholder
        raise SignatureRejectedError(
            "Chữ ký số không nhúng được vào tài liệu (kích thước vượt quá chỗ đã dành sẵn); hãy ký lại."
        ) from exc
    return output.getvalue()


def _validate_result(signed: bytes, state: _State, validation_context: ValidationContext) -> None:
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    embedded = [s for s in reader.embedded_signatures if s.field_name == state.field_name]
    if len(embedded) != 1:
        raise SignatureRejectedError("Không tìm thấy chữ ký vừa tạo trong tài liệu; tài liệu chưa được ký.")
    status = validate_pdf_signature(embedded[0], signer_validation_context=validation_context)
    if not (status.intact and status.valid):
        raise SignatureRejectedError(
            "Chữ ký số vừa tạo không hợp lệ (tài liệu hoặc chữ ký không toàn vẹn); tài liệu chưa được ký."
        )
    if not status.trusted:
        raise SignatureRejectedError(
            "Chứng thư số của người ký không được tin cậy (không dẫn tới chứng thư gốc được cấu hình); "
            "tài liệu chưa được ký."
        )


def complete(
    state: str | bytes,
    signature_value: bytes,
    *,
    validation_context: ValidationContext | None = None,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """Embed the token's ``signature_value`` into the prepared document and return the signed PDF.

    Refuses (:class:`SignatureRejectedError`, nothing returned) a value that does not verify against the signer's
    certificate over this document's signed attributes, and a finished document that does not validate.
    ``validation_context`` should carry the configured trust roots (``SIGNING_TRUST_ROOTS``); without it the root
    of the chain given at prepare time is trusted, which checks integrity but proves nothing about who signed.
    """
    loaded = _load_state(state)
    _check_document_digest(loaded)
    _check_signature_value(loaded, bytes(signature_value))
    signed = asyncio.run(_embed(loaded, bytes(signature_value), timestamper))
    _validate_result(signed, loaded, validation_context or _default_validation_context(loaded))
    return signed
