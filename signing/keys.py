"""Key sources: where a signing key lives, behind one small interface.

Every way of signing in eoffice (a software key store on the server, a PKCS#11 token or HSM, a two-step signature
made by the official's own token in the browser) hands the signing code the same two things:

* ``signer()`` — a :class:`pyhanko.sign.signers.Signer` ready to produce the CMS signature value;
* ``chain()`` — the signing certificate first, then the intermediates up to (not necessarily including) the root,
  as :mod:`asn1crypto` certificates, so that the signature can embed them and the appearance can show the holder.

That is the whole :class:`KeySource` protocol. :mod:`signing.pades` only ever talks to it, so a new kind of key
(``Pkcs11KeySource`` in :mod:`signing.pkcs11`, the external source in :mod:`signing.twostep`) plugs in without
touching the layout or signing code.

:class:`SoftwareKeyStore` is the development and small-deployment source: an encrypted PKCS#12 file per person and
per agency seal. Decrypting a PKCS#12 file and checking an RSA private key costs tens of milliseconds, which is
most of the time of one signature; a clerk sealing a batch of a hundred dispatches must not pay it a hundred times.
Loaded keys are therefore cached, keyed on the file path, its modification time and a hash of the passphrase: a
replaced file or a different passphrase is a different entry, and the passphrase itself is never kept as a key.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

__all__ = [
    "KeySource",
    "KeyStoreError",
    "LoadedKeySigner",
    "SoftwareKeyStore",
    "TemplateCmsSigner",
    "clear_key_cache",
]


class KeyStoreError(Exception):
    """A key store could not be opened (missing file, wrong passphrase, no key inside)."""


@runtime_checkable
class KeySource(Protocol):
    """Something that can sign: a pyHanko signer plus the certificate chain that goes with it."""

    def signer(self) -> Signer:
        """The pyHanko signer to use for one or more signatures (may be reused across documents)."""
        ...

    def chain(self) -> Sequence[asn1_x509.Certificate]:
        """The signing certificate first, then the intermediate certificates."""
        ...


_HASHES = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class LoadedKeySigner(SimpleSigner):
    """A :class:`SimpleSigner` whose private key is parsed once.

    pyHanko's ``SimpleSigner.sign_raw`` re-parses (and so re-validates) the DER private key on every signature;
    for RSA that check is far slower than the signature itself. This subclass keeps the ``cryptography`` key object
    and signs with it directly for the common mechanisms, deferring to pyHanko for anything else.
    """

    def __init__(self, *, pyca_key, **kwargs) -> None:
        super().__init__(**kwargs)
        self._pyca_key = pyca_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algo = mechanism["algorithm"].native
        hash_cls = _HASHES.get(digest_algorithm)
        key = self._pyca_key
        if hash_cls is not None:
            if isinstance(key, rsa.RSAPrivateKey) and algo in ("rsassa_pkcs1v15", f"{digest_algorithm}_rsa"):
                return key.sign(data, padding.PKCS1v15(), hash_cls())
            if isinstance(key, rsa.RSAPrivateKey) and algo == "rsassa_pss":
                params = mechanism["parameters"]
                if params["hash_algorithm"]["algorithm"].native == digest_algorithm:
                    pss = padding.PSS(mgf=padding.MGF1(hash_cls()), salt_length=params["salt_length"].native)
                    return key.sign(data, pss, hash_cls())
            if isinstance(key, ec.EllipticCurvePrivateKey) and algo in ("ecdsa", f"{digest_algorithm}_ecdsa"):
                return key.sign(data, ec.ECDSA(hash_cls()))
        return super().sign_raw(data, digest_algorithm)


_cache: dict[tuple[str, int, int, str], LoadedKeySigner] = {}
_cache_lock = threading.Lock()


def clear_key_cache() -> None:
    """Forget every loaded key (tests, or after rotating key stores)."""
    with _cache_lock:
        _cache.clear()


RSA_PADDINGS = ("pss", "pkcs1v15")


def check_rsa_padding(value: str) -> str:
    """``value`` when it names an RSA signature padding this product uses (``pss`` or ``pkcs1v15``)."""
    if value not in RSA_PADDINGS:
        raise KeyStoreError(f"Kiểu đệm chữ ký RSA “{value}” không được hỗ trợ (pss hoặc pkcs1v15).")
    return value


def _load_pkcs12(path: Path, passphrase: bytes, rsa_padding: str = "pss") -> LoadedKeySigner:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyStoreError(f"Không đọc được kho khóa {path}: {exc.strerror or exc}") from exc
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError as exc:
        raise KeyStoreError(f"Không mở được kho khóa {path}: sai mật khẩu hoặc tệp hỏng.") from exc
    if key is None or cert is None:
        raise KeyStoreError(f"Kho khóa {path} không chứa khóa bí mật và chứng thư số.")
    signing_cert = translate_pyca_cryptography_cert_to_asn1(cert)
    others = [translate_pyca_cryptography_cert_to_asn1(c) for c in extra or ()]
    registry = SimpleCertificateStore()
    registry.register_multiple(others)
    return LoadedKeySigner(
        pyca_key=key,
        signing_cert=signing_cert,
        signing_key=translate_pyca_cryptography_key_to_asn1(key),
        cert_registry=registry,
        prefer_pss=rsa_padding == "pss",
    )


class SoftwareKeyStore:
    """An encrypted PKCS#12 key store on disk (one per person and one per agency seal in development).

    Opening the store is lazy and cached process-wide: constructing many ``SoftwareKeyStore`` objects for the same
    file costs nothing after the first signature.
    """

    def __init__(self, path: str | Path, passphrase: bytes | str, *, rsa_padding: str = "pss") -> None:
        self.path = Path(path)
        self._passphrase = passphrase.encode() if isinstance(passphrase, str) else passphrase
        # RSASSA-PSS by default (Thông tư 15/2025/TT-BKHCN); "pkcs1v15" only for a verifier that cannot take PSS.
        self.rsa_padding = check_rsa_padding(rsa_padding)

    def _cache_key(self) -> tuple[str, int, int, str]:
        try:
            stat = self.path.stat()
        except OSError as exc:
            raise KeyStoreError(f"Không tìm thấy kho khóa {self.path}.") from exc
        digest = hashlib.sha256(b"eoffice-keystore\0" + self._passphrase).hexdigest()
        return (str(self.path.resolve()), stat.st_mtime_ns, stat.st_size, digest + ":" + self.rsa_padding)

    def signer(self) -> LoadedKeySigner:
        """The cached signer for this store, loading the PKCS#12 file on first use or after it changed."""
        key = self._cache_key()
        with _cache_lock:
            cached = _cache.get(key)
        if cached is not None:
            return cached
        loaded = _load_pkcs12(self.path, self._passphrase, self.rsa_padding)
        with _cache_lock:
            # Drop stale entries for the same file (older mtime) so a rotated store doesn't leak memory.
            for stale in [k for k in _cache if k[0] == key[0]]:
                del _cache[stale]
            _cache[key] = loaded
        return loaded

    def chain(self) -> list[asn1_x509.Certificate]:
        signer = self.signer()
        others = [c for c in signer.cert_registry if c != signer.signing_cert]
        # Order: signing certificate, then issuers walking up as far as the store knows.
        ordered = [signer.signing_cert]
        current = signer.signing_cert
        remaining = list(others)
        while remaining:
            issuer = next((c for c in remaining if c.subject == current.issuer), None)
            if issuer is None or issuer == current:
                break
            ordered.append(issuer)
            remaining.remove(issuer)
            current = issuer
        ordered.extend(remaining)
        return ordered

    def __repr__(self) -> str:
        return f"SoftwareKeyStore({str(self.path)!r})"


class _CmsTemplate:
    """A CMS SignedData made once by pyHanko, with the offsets of the two parts that change per document."""

    def __init__(self, der: bytes, digest_at: int, digest_len: int, attrs_at: int, attrs_end: int,
                 signature_at: int, signature_len: int) -> None:
        self.der = der
        self.digest_at, self.digest_len = digest_at, digest_len
        self.attrs_at, self.attrs_end = attrs_at, attrs_end
        self.signature_at, self.signature_len = signature_at, signature_len


class TemplateCmsSigner(LoadedKeySigner):
    """A signer for many PAdES B-B signatures in a row (batch sealing), producing exactly pyHanko's CMS.

    For a PAdES signature without timestamp the CMS SignedData differs from one document to the next in two places
    only: the message digest inside the signed attributes and the RSA/ECDSA signature value (no signing-time
    attribute in PAdES: the time is in the signature dictionary). pyHanko rebuilds and re-encodes the whole
    structure (certificates included) with asn1crypto for each signature — twice, counting the size estimate —
    which is most of the time of a signature once the key is loaded. This signer lets pyHanko build the structure
    once, then patches the digest, signs the signed attributes with the loaded key and patches the signature.
    Anything else (timestamps, other attributes, other digests, signatures whose length varies) goes through
    pyHanko unchanged.
    """

    _MARKER = bytes(range(0xA0, 0xC0))  # 32 recognisable bytes standing in for the document digest

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._templates: dict[tuple, _CmsTemplate | None] = {}
        self._template_lock = threading.Lock()

    @classmethod
    def from_signer(cls, signer: LoadedKeySigner) -> TemplateCmsSigner:
        """The same key and certificates as ``signer`` (e.g. a cached :meth:`SoftwareKeyStore.signer`)."""
        return cls(
            pyca_key=signer._pyca_key,
            signing_cert=signer.signing_cert,
            signing_key=signer.signing_key,
            cert_registry=signer.cert_registry,
            signature_mechanism=signer.signature_mechanism,
            prefer_pss=signer.prefer_pss,
            embed_roots=signer.embed_roots,
        )

    def _fixed_length_signature(self) -> bool:
        # PKCS#1 v1.5 signatures always have the modulus length; ECDSA's DER length varies by a byte or two.
        return isinstance(self._pyca_key, rsa.RSAPrivateKey)

    async def _template(self, digest_algorithm: str, settings) -> _CmsTemplate | None:
        key = (digest_algorithm,)
        with self._template_lock:
            if key in self._templates:
                return self._templates[key]
        marker = self._MARKER[: len(hashlib.new(digest_algorithm).digest())]
        content_info = await super().async_sign(marker, digest_algorithm, use_pades=True,
                                                signed_attr_settings=settings)
        der = content_info.dump()
        signer_info = content_info["content"]["signer_infos"][0]
        attrs = signer_info["signed_attrs"].dump()
        signature = signer_info["signature"].native
        template = None
        if der.count(marker) == 1 and der.count(attrs) == 1 and der.count(signature) == 1:
            attrs_at = der.index(attrs)
            template = _CmsTemplate(der, der.index(marker), len(marker), attrs_at, attrs_at + len(attrs),
                                    der.index(signature), len(signature))
        with self._template_lock:
            self._templates[key] = template
        return template

    async def async_sign(self, data_digest: bytes, digest_algorithm: str, dry_run=False, use_pades=False,
                         timestamper=None, signed_attr_settings=None, is_pdf_sig=True, encap_content_info=None):
        from asn1crypto import cms

        plain = (
            not use_pades or timestamper is not None or encap_content_info is not None or not is_pdf_sig
            or digest_algorithm not in _HASHES or not self._fixed_length_signature()
            or (signed_attr_settings is not None and (
                signed_attr_settings.adobe_revinfo_attr is not None
                or signed_attr_settings.cades_signed_attrs is not None
            ))
        )
        template = None if plain else await self._template(digest_algorithm, signed_attr_settings)
        if template is None or len(data_digest) != template.digest_len:
            return await super().async_sign(
                data_digest, digest_algorithm, dry_run=dry_run, use_pades=use_pades, timestamper=timestamper,
                signed_attr_settings=signed_attr_settings, is_pdf_sig=is_pdf_sig,
                encap_content_info=encap_content_info,
            )
        if dry_run:
            return cms.ContentInfo.load(template.der)
        der = bytearray(template.der)
        der[template.digest_at : template.digest_at + template.digest_len] = data_digest
        signed_attrs = bytearray(der[template.attrs_at : template.attrs_end])
        signed_attrs[0] = 0x31  # signed over as a SET OF, not as the [0] IMPLICIT field it is stored as
        # sign_raw picks the configured scheme (RSASSA-PSS or PKCS#1 v1.5) exactly as pyHanko's template did.
        signature = self.sign_raw(bytes(signed_attrs), digest_algorithm)
        if len(signature) != template.signature_len:  # cannot happen for RSA; stay correct if it ever does
            return await super().async_sign(data_digest, digest_algorithm, use_pades=use_pades,
                                            signed_attr_settings=signed_attr_settings)
        der[template.signature_at : template.signature_at + template.signature_len] = signature
        return cms.ContentInfo.load(bytes(der))
