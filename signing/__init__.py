"""PAdES signing and validation of Vietnamese administrative documents (Decree 30), with pyHanko.

A library: it imports nothing of ``eoffice``. Callers name keys by plain subject keys and pass names, positions
and certificates; which key signs for which person or agency is the product's business
(``eoffice/documents/keyring.py``). The public surface, importable from ``signing`` itself::

    from signing import key_source, sign_person, sign_seal, validate_pdf

- Keys: :class:`KeySource` (the protocol every way of signing implements), :class:`SoftwareKeyStore` (PKCS#12 on
  the server), :class:`KeyStoreError`; :func:`key_source` (the source the deployment configures for a subject key:
  ``SIGNING_KEYS_FILE``, else the development PKI), :func:`ca_chain`, :func:`dev_pki`. PKCS#11 tokens and HSMs:
  :mod:`signing.pkcs11`.
- Signing (:mod:`signing.pades`): :func:`sign_person`, :func:`sign_seal`, :func:`sign_copy`,
  :func:`sign_attachment`; the plans behind them (:func:`plan_person_signature`, :func:`plan_seal_signature`,
  :func:`apply_plan`, :class:`SignaturePlan`); :func:`add_number_date_fields` and :func:`fill_number_date` (the
  clerk's number and date after the signature); :class:`BatchSealer`. Two-step signing with the official's own
  token: :mod:`signing.twostep` (``prepare``/``complete``) and the agent on the official's computer,
  :mod:`signing.agent`. The library has no Celery tasks: the
  background sealing of a batch (task ``signing.seal_batch``) is glue in :mod:`eoffice.documents.tasks`.
- Layout and images: :func:`find_signature_block`, :class:`SignatureBlock`, :class:`LayoutError`;
  :func:`signature_image`, :func:`seal_image`, :func:`font_path`; the Decree 30 document renderer
  (:class:`OfficialDocument`, :func:`render_document`, :func:`date_line`).
- Before signing: :class:`CertificateNotUsableError` (:mod:`signing.preflight` refuses an expired, revoked or
  untrusted certificate).
- Validation: :func:`validate_pdf`, :func:`check_pdf_acceptable`, :class:`PdfNotAcceptableError`,
  :func:`default_trust_roots`; long-term validation: :func:`get_timestamper`, :func:`make_archival`,
  :class:`ArchivalError`.
- The development PKI (:class:`DevPKI`, :class:`Subject`, :mod:`signing.pki`) is the key store of the embedded
  deployment; the other development tooling (loopback CA services, SoftHSM2 tokens) is under :mod:`signing.dev`.

The names are resolved lazily, so that loading the Django app does not load pyHanko.
"""

from __future__ import annotations

import importlib
from typing import Any

_SURFACE = {
    # keys
    "KeySource": "keys", "KeyStoreError": "keys", "SoftwareKeyStore": "keys",
    "key_source": "keyring", "ca_chain": "keyring", "dev_pki": "keyring",
    # signing
    "SignaturePlan": "pades", "BatchSealer": "pades", "apply_plan": "pades", "plan_person_signature": "pades",
    "plan_seal_signature": "pades", "sign_person": "pades", "sign_seal": "pades", "sign_copy": "pades",
    "sign_attachment": "pades", "add_number_date_fields": "pades", "fill_number_date": "pades",
    "CertificateNotUsableError": "preflight",
    # layout and images
    "LayoutError": "appearance", "SignatureBlock": "appearance", "find_signature_block": "appearance",
    "font_path": "images", "seal_image": "images", "signature_image": "images",
    "OfficialDocument": "documents", "date_line": "documents", "render_document": "documents",
    # validation and long-term validation
    "PdfNotAcceptableError": "validation", "check_pdf_acceptable": "validation",
    "default_trust_roots": "validation", "validate_pdf": "validation",
    "ArchivalError": "ltv", "get_timestamper": "ltv", "make_archival": "ltv",
    # the development PKI (the embedded deployment's key stores)
    "DevPKI": "pki", "Subject": "pki",
}

__all__ = sorted(_SURFACE)


def __getattr__(name: str) -> Any:
    module = _SURFACE.get(name)
    if module is None:
        raise AttributeError(f"module 'signing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SURFACE))
