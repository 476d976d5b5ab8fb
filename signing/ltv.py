"""Timestamps and long-term validation: PAdES B-T, B-LT and B-LTA.

- B-T: a signature carries an RFC 3161 timestamp from a TSA. :func:`get_timestamper` gives the configured TSA
  (``settings.SIGNING_TSA_URL``), else the development TSA when :mod:`signing.dev.services` is listening on
  ``settings.SIGNING_DEV_SERVICES_PORT``, else ``None`` (the signature is then B-B, without a trusted time).
- B-LT: the document carries, in its Document Security Store (DSS), the certificates, CRLs and OCSP responses
  needed to validate every signature without asking the CAs again — they may be gone in twenty years.
- B-LTA: a document timestamp is added over all of that, so the validation material itself is protected; it is
  renewed by calling :func:`make_archival` again before the TSA's certificate expires.

Documents going to the archive (nộp lưu) pass through :func:`make_archival`. Everything is added in incremental
updates, so every earlier signature stays intact and is reported "lta_updates" by the validator.
"""

from __future__ import annotations

import asyncio
import io
import logging
import socket
from collections.abc import Sequence
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper

from signing.validation import _open_checked, _to_asn1, default_trust_roots

__all__ = ["ArchivalError", "dev_tsa_url", "get_timestamper", "make_archival"]

logger = logging.getLogger(__name__)


class ArchivalError(Exception):
    """Validation material could not be gathered; ``message`` is Vietnamese and safe to show."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


def _accepts(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def dev_tsa_url() -> str | None:
    """The development TSA's URL if the development services are listening on their configured port."""
    from django.conf import settings

    port = int(getattr(settings, "SIGNING_DEV_SERVICES_PORT", 8765))
    if _accepts("127.0.0.1", port):
        return f"http://127.0.0.1:{port}/tsa"
    return None


def get_timestamper(url: str | None = None) -> TimeStamper | None:
    """A pyHanko timestamper for B-T signatures, or ``None`` when no TSA is configured or running."""
    if not url:
        from django.conf import settings

        url = getattr(settings, "SIGNING_TSA_URL", None) or dev_tsa_url()
    if not url:
        return None
    return HTTPTimeStamper(url, timeout=10)


def make_archival(
    data: bytes,
    *,
    trust_roots: Sequence[x509.Certificate | asn1_x509.Certificate] | None = None,
    timestamper: TimeStamper | None = None,
    document_timestamp: bool = True,
) -> bytes:
    """Return ``data`` with validation material for every signature (B-LT) and a document timestamp (B-LTA).

    The CRLs and OCSP responses are fetched now from the CAs named in the certificates, and checked against
    ``trust_roots`` (default: as :func:`signing.validation.validate_pdf`). ``timestamper`` defaults to
    :func:`get_timestamper`; with none available, or ``document_timestamp=False``, the result is B-LT only.
    Raises :class:`signing.validation.PdfNotAcceptableError` for unusable input and :class:`ArchivalError` when a
    signature's chain or revocation status cannot be established (an untrusted, revoked or unreachable CA).
    """
    reader = _open_checked(data)
    if not reader.embedded_signatures:
        raise ArchivalError("Văn bản không có chữ ký số, không cần bổ sung thông tin kiểm tra dài hạn.")
    roots = [_to_asn1(c) for c in trust_roots] if trust_roots is not None else default_trust_roots()
    if document_timestamp and timestamper is None:
        timestamper = get_timestamper()
    if document_timestamp and timestamper is None:
        logger.warning("no TSA available: archival copy gets validation material (B-LT) but no document timestamp")
    return asyncio.run(_make_archival(data, reader, roots, timestamper if document_timestamp else None))


async def _make_archival(
    data: bytes, reader: Any, roots: list[asn1_x509.Certificate], timestamper: TimeStamper | None
) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers import PdfTimeStamper
    from pyhanko.sign.signers.pdf_signer import TimestampDSSContentSettings
    from pyhanko.sign.validation import DocumentSecurityStore, collect_validation_info
    from pyhanko_certvalidator import ValidationContext

    vc = ValidationContext(trust_roots=roots, allow_fetching=True, revocation_mode="hard-fail")
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        for sig in reader.embedded_signatures:
            try:
                paths = await collect_validation_info(sig, vc)
            except Exception as exc:
                raise ArchivalError(
                    f"Không thu thập được thông tin kiểm tra chứng thư số cho chữ ký “{sig.field_name}” "
                    "(chứng thư chưa được tin cậy, đã bị thu hồi hoặc không liên lạc được với tổ chức cung cấp "
                    "dịch vụ chứng thực).",
                    detail=repr(exc),
                ) from exc
            # No VRI entries: they are optional, and pyHanko's diff policy treats a later change to an existing
            # VRI (which re-archiving would make) as a suspicious modification.
            DocumentSecurityStore.supply_dss_in_writer(
                writer,
                sig_contents=None,
                paths=paths,
                validation_context=vc,
            )
        if timestamper is None:
            out = io.BytesIO()
            writer.write(out)
            return out.getvalue()
        try:
            out = await PdfTimeStamper(timestamper).async_timestamp_pdf(
                writer,
                "sha256",
                validation_context=vc,
                dss_settings=TimestampDSSContentSettings(include_vri=False),
            )
        except Exception as exc:
            raise ArchivalError(
                "Không lấy được dấu thời gian cho văn bản lưu trữ (máy chủ cấp dấu thời gian không phản hồi hoặc "
                "chứng thư của máy chủ chưa được tin cậy).",
                detail=repr(exc),
            ) from exc
        return out.getvalue()
    finally:
        await vc.aclose()
