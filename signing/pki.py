"""The development PKI: a root CA, an intermediate CA and certificates for people and agency seals.

Real deployments sign with certificates from the national root and the government's specialised public-service
CA; those cannot be obtained for development or CI. This module builds a small hierarchy of the same shape so that
signing, validation, revocation and long-term validation can be exercised end to end on one machine:

    Development Root CA                      (stands for the national root; the trust anchor)
    └── Development Public-Service CA        (stands for the specialised CA; issues everything below)
        ├── people's certificates            (digitalSignature + nonRepudiation)
        ├── agencies' seal certificates      (same profile, subject = the agency)
        ├── Development OCSP Responder       (delegated OCSP signer, id-pkix-ocsp-nocheck)
        └── Development Time-Stamping Authority (critical EKU timeStamping)

Every certificate points its CRL distribution point and OCSP responder at ``services_url``, which
:mod:`signing.dev.services` serves on a loopback port.

Layout of ``directory`` (everything is plain files so a developer can inspect it with ``openssl``):

    state.json              subjects, issued serials, revocations, passphrases (mode 0600, development only)
    root.pem / root.key     root CA certificate (PEM) and unencrypted private key (mode 0600)
    intermediate.pem / .key intermediate CA
    ocsp.pem / ocsp.key     delegated OCSP responder
    tsa.pem / tsa.key       time-stamping authority
    root.crl / intermediate.crl   current CRLs (DER)
    subjects/<name>.pem     a subject's certificate (PEM)
    subjects/<name>.p12     PKCS#12 with the subject's key, certificate and chain, encrypted with the
                            passphrase recorded in state.json (``key_store_passphrase``)

Nothing here is suitable for production: passphrases sit next to the key stores on purpose, so that the
development server and the tests can sign without a prompt.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

__all__ = [
    "DevPKI",
    "Subject",
    "REVOCATION_REASONS",
]

logger = logging.getLogger(__name__)

COUNTRY = "VN"
DEV_ORGANIZATION = "eoffice development PKI"

# Names accepted by ``DevPKI.revoke``: the RFC 5280 reason codes, as cryptography names them.
REVOCATION_REASONS: dict[str, x509.ReasonFlags] = {
    flag.name: flag for flag in x509.ReasonFlags if flag is not x509.ReasonFlags.remove_from_crl
}

_CA_FILES = ("root", "intermediate", "ocsp", "tsa")
_CRL_LIFETIME = timedelta(days=7)
_CRL_REFRESH_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Subject:
    """Who a certificate is for: a person or an agency seal."""

    key: str  # stable id: a username like "vanthu.stp", or "seal:<agency code>" for an agency seal
    common_name: str  # "Nguyễn Văn An", or the agency's full name "Sở Tư pháp tỉnh Bình Minh"
    organization: str  # the agency's name
    kind: Literal["person", "seal"]
    email: str | None = None
    title: str | None = None  # position, e.g. "Giám đốc"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _safe_name(key: str) -> str:
    """A file name for a subject key: readable, and unique even when two keys sanitise alike."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("._") or "subject"
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"{readable[:60]}-{digest}"


def _write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class DevPKI:
    """A development certificate authority kept in a directory.

    ``ensure`` is idempotent and safe to call at every start: the CAs are created once, then one certificate and
    one encrypted PKCS#12 key store per subject not yet known. A file lock serialises concurrent writers (two
    processes starting at once). The OCSP and CRL answers of :mod:`signing.dev.services` are computed from the same
    directory, so a revocation made by any process is visible to the services at the next request.
    """

    def __init__(self, directory: Path, services_url: str = "http://127.0.0.1:8765") -> None:
        self.directory = Path(directory)
        self.services_url = services_url.rstrip("/")
        self.root_cert_path = self.directory / "root.pem"
        self.intermediate_cert_path = self.directory / "intermediate.pem"
        self.ocsp_cert_path = self.directory / "ocsp.pem"
        self.ocsp_key_path = self.directory / "ocsp.key"
        self.tsa_cert_path = self.directory / "tsa.pem"
        self.tsa_key_path = self.directory / "tsa.key"
        self.root_crl_path = self.directory / "root.crl"
        self.crl_path = self.directory / "intermediate.crl"  # the CRL covering every end-entity certificate
        self._state_path = self.directory / "state.json"
        self._cache: dict[str, Any] = {}
        # Whoever runs the loopback services for this PKI may attach them here (the test fixture does), so that
        # callers find ``pki.services.url``; the PKI itself never uses it.
        self.services: Any = None

    # ------------------------------------------------------------------ URLs baked into certificates
    @property
    def crl_url(self) -> str:
        """Where the intermediate CA's CRL (people, seals, TSA, OCSP responder) is downloaded."""
        return f"{self.services_url}/crl/intermediate.crl"

    @property
    def root_crl_url(self) -> str:
        return f"{self.services_url}/crl/root.crl"

    @property
    def ocsp_url(self) -> str:
        return f"{self.services_url}/ocsp"

    @property
    def tsa_url(self) -> str:
        return f"{self.services_url}/tsa"

    def ca_url(self, name: str) -> str:
        return f"{self.services_url}/ca/{name}.crt"

    # ------------------------------------------------------------------ state
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read_state(self) -> dict[str, Any]:
        try:
            return json.loads(self._state_path.read_text())
        except FileNotFoundError:
            return {"subjects": {}, "issued": {}, "revoked": {}, "crl_number": {"root": 0, "intermediate": 0}}

    def _write_state(self, state: dict[str, Any]) -> None:
        data = json.dumps(state, indent=2, ensure_ascii=False).encode()
        with contextlib.suppress(FileNotFoundError):
            if self._state_path.read_bytes() == data:
                return  # unchanged: leave the file (and its mtime) alone
        _write_atomic(self._state_path, data, 0o600)

    @property
    def exists(self) -> bool:
        return self._state_path.exists() and all((self.directory / f"{n}.pem").exists() for n in _CA_FILES)

    # ------------------------------------------------------------------ loading CA material
    def _load_cert(self, path: Path) -> x509.Certificate:
        stat = path.stat()
        cache_key = f"cert:{path}"
        cached = self._cache.get(cache_key)
        if cached and cached[0] == stat.st_mtime_ns:
            return cached[1]
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        self._cache[cache_key] = (stat.st_mtime_ns, cert)
        return cert

    def _load_key(self, name: str) -> rsa.RSAPrivateKey:
        path = self.directory / f"{name}.key"
        cache_key = f"key:{path}"
        stat = path.stat()
        cached = self._cache.get(cache_key)
        if cached and cached[0] == stat.st_mtime_ns:
            return cached[1]
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        self._cache[cache_key] = (stat.st_mtime_ns, key)
        return key

    @property
    def root_certificate(self) -> x509.Certificate:
        return self._load_cert(self.root_cert_path)

    @property
    def intermediate_certificate(self) -> x509.Certificate:
        return self._load_cert(self.intermediate_cert_path)

    @property
    def ocsp_certificate(self) -> x509.Certificate:
        return self._load_cert(self.ocsp_cert_path)

    @property
    def tsa_certificate(self) -> x509.Certificate:
        return self._load_cert(self.tsa_cert_path)

    def ca_key(self, name: Literal["root", "intermediate", "ocsp", "tsa"]) -> rsa.RSAPrivateKey:
        """The private key of one of the PKI's own authorities (used by the development services)."""
        return self._load_key(name)

    @property
    def chain(self) -> list[x509.Certificate]:
        """The CA certificates above an end-entity certificate, nearest first."""
        return [self.intermediate_certificate, self.root_certificate]

    # ------------------------------------------------------------------ public API
    def ensure(self, subjects: Iterable[Subject] = ()) -> None:
        """Create what is missing: the authorities on first call, then a certificate per new subject."""
        subjects = list(subjects)
        with self._locked():
            state = self._read_state()
            if not self.exists:
                self._create_authorities(state)
            elif state.get("services_url") not in (None, self.services_url):
                logger.warning(
                    "PKI %s was created for services at %s, not %s: existing certificates point there",
                    self.directory,
                    state["services_url"],
                    self.services_url,
                )
            for subject in subjects:
                if subject.key not in state["subjects"]:
                    self._issue_locked(state, subject, None, None)
            for ca in ("root", "intermediate"):
                if not (self.directory / f"{ca}.crl").exists():
                    self._write_crl(state, ca)
            self._write_state(state)

    def subjects(self) -> list[Subject]:
        """Every subject that has a certificate."""
        return [Subject(**entry["subject"]) for entry in self._read_state()["subjects"].values()]

    def has_subject(self, key: str) -> bool:
        return key in self._read_state()["subjects"]

    def certificate(self, key: str) -> x509.Certificate:
        """The current certificate of a subject (raises ``KeyError`` for an unknown key)."""
        return self._load_cert(self._subject_entry(key, "cert"))

    def certificate_path(self, key: str) -> Path:
        return self._subject_entry(key, "cert")

    def key_store_path(self, key: str) -> Path:
        """The subject's PKCS#12 file: private key, certificate, intermediate and root."""
        return self._subject_entry(key, "p12")

    def key_store_passphrase(self, key: str) -> bytes:
        """The PKCS#12 passphrase, read from ``state.json`` (mode 0600) — development only."""
        return self._read_state()["subjects"][key]["passphrase"].encode()

    def private_key(self, key: str) -> rsa.RSAPrivateKey:
        """The subject's private key, decrypted from its key store (convenience for tests and benchmarks)."""
        loaded, _cert, _chain = pkcs12.load_key_and_certificates(
            self.key_store_path(key).read_bytes(), self.key_store_passphrase(key)
        )
        assert isinstance(loaded, rsa.RSAPrivateKey)
        return loaded

    def issue(
        self,
        subject: Subject,
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        replace: bool = False,
    ) -> x509.Certificate:
        """Issue a certificate (new key) for ``subject``; with ``replace`` a known subject gets a new one.

        ``not_before``/``not_after`` allow certificates that are expired or not yet valid, for tests. The replaced
        certificate is not revoked (it stays "good" for OCSP), like a renewal at a real CA.
        """
        with self._locked():
            state = self._read_state()
            if not self.exists:
                self._create_authorities(state)
                self._write_crl(state, "root")
                self._write_crl(state, "intermediate")
            if subject.key in state["subjects"] and not replace:
                raise ValueError(f"subject {subject.key!r} already has a certificate; pass replace=True")
            cert = self._issue_locked(state, subject, not_before, not_after)
            self._write_state(state)
        return cert

    def revoke(self, key: str, reason: str = "key_compromise", when: datetime | None = None) -> None:
        """Revoke the subject's current certificate: the CRL is re-issued and OCSP answers "revoked"."""
        if reason not in REVOCATION_REASONS:
            raise ValueError(f"unknown revocation reason {reason!r}; one of {sorted(REVOCATION_REASONS)}")
        with self._locked():
            state = self._read_state()
            serial = self._read_serial(state, key)
            state["revoked"][serial] = {"date": (when or _now()).isoformat(), "reason": reason}
            self._write_crl(state, "intermediate")
            self._write_state(state)

    def revocation_status(
        self, serial: int, issuer: x509.Certificate | None = None
    ) -> tuple[Literal["good", "revoked", "unknown"], datetime | None, str | None]:
        """What OCSP should answer for a serial issued by the intermediate (or the root, for the intermediate)."""
        state = self._read_state()
        key = format(serial, "x")
        entry = state["issued"].get(key)
        if entry is None:
            return "unknown", None, None
        if issuer is not None and entry["issuer"] != issuer.subject.rfc4514_string():
            return "unknown", None, None
        revoked = state["revoked"].get(key)
        if revoked:
            return "revoked", datetime.fromisoformat(revoked["date"]), revoked["reason"]
        return "good", None, None

    def current_crl(self, ca: Literal["root", "intermediate"] = "intermediate") -> bytes:
        """The DER CRL of ``ca``, re-issued first when it is about to expire (services call this per request)."""
        path = self.directory / f"{ca}.crl"
        with contextlib.suppress(FileNotFoundError):
            data = path.read_bytes()
            crl = x509.load_der_x509_crl(data)
            if crl.next_update_utc and crl.next_update_utc - _CRL_REFRESH_MARGIN > _now():
                return data
        with self._locked():
            state = self._read_state()
            self._write_crl(state, ca)
            self._write_state(state)
        return path.read_bytes()

    # ------------------------------------------------------------------ internals
    def _subject_entry(self, key: str, kind: Literal["cert", "p12"]) -> Path:
        entry = self._read_state()["subjects"].get(key)
        if entry is None:
            raise KeyError(f"no certificate for subject {key!r} in {self.directory}")
        return self.directory / entry[kind]

    @staticmethod
    def _read_serial(state: dict[str, Any], key: str) -> str:
        entry = state["subjects"].get(key)
        if entry is None:
            raise KeyError(f"no certificate for subject {key!r}")
        return entry["serial"]

    def _record_issued(self, state: dict[str, Any], cert: x509.Certificate, path: Path) -> None:
        state["issued"][format(cert.serial_number, "x")] = {
            "issuer": cert.issuer.rfc4514_string(),
            "subject": cert.subject.rfc4514_string(),
            "file": str(path.relative_to(self.directory)),
        }

    def _create_authorities(self, state: dict[str, Any]) -> None:
        now = _now()
        root_key = _new_key()
        root_name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_ORGANIZATION),
                x509.NameAttribute(NameOID.COMMON_NAME, "Development Root CA"),
            ]
        )
        root = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365 * 20))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(self._ca_key_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        inter_key = _new_key()
        inter_name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_ORGANIZATION),
                x509.NameAttribute(NameOID.COMMON_NAME, "Development Public-Service CA"),
            ]
        )
        inter = (
            self._base_builder(inter_name, inter_key, root, root_key, now, now + timedelta(days=365 * 10))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(self._ca_key_usage(), critical=True)
            .add_extension(self._crl_dp(self.root_crl_url), critical=False)
            .add_extension(self._aia(self.ca_url("root")), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        for name, key, cert in (("root", root_key, root), ("intermediate", inter_key, inter)):
            _write_atomic(self.directory / f"{name}.key", _key_pem(key), 0o600)
            _write_atomic(self.directory / f"{name}.pem", _cert_pem(cert))
        self._record_issued(state, inter, self.intermediate_cert_path)

        for name, cn, eku, extra in (
            ("ocsp", "Development OCSP Responder", ExtendedKeyUsageOID.OCSP_SIGNING, x509.OCSPNoCheck()),
            ("tsa", "Development Time-Stamping Authority", ExtendedKeyUsageOID.TIME_STAMPING, None),
        ):
            key = _new_key()
            subject_name = x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_ORGANIZATION),
                    x509.NameAttribute(NameOID.COMMON_NAME, cn),
                ]
            )
            builder = (
                self._base_builder(subject_name, key, inter, inter_key, now, now + timedelta(days=365 * 5))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(self._ee_key_usage(), critical=True)
                .add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
                .add_extension(self._aia(self.ca_url("intermediate")), critical=False)
            )
            if extra is not None:
                builder = builder.add_extension(extra, critical=False)
            else:  # the OCSP responder is "no check"; the TSA is checked like any end entity
                builder = builder.add_extension(self._crl_dp(self.crl_url), critical=False)
            cert = builder.sign(inter_key, hashes.SHA256())
            _write_atomic(self.directory / f"{name}.key", _key_pem(key), 0o600)
            _write_atomic(self.directory / f"{name}.pem", _cert_pem(cert))
            self._record_issued(state, cert, self.directory / f"{name}.pem")
        state["services_url"] = self.services_url
        self._cache.clear()

    def _issue_locked(
        self,
        state: dict[str, Any],
        subject: Subject,
        not_before: datetime | None,
        not_after: datetime | None,
    ) -> x509.Certificate:
        now = _now()
        inter = self.intermediate_certificate
        inter_key = self._load_key("intermediate")
        not_before = not_before or now - timedelta(minutes=5)
        not_after = not_after or min(now + timedelta(days=365 * 2), inter.not_valid_after_utc)
        attrs = [
            x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject.organization),
        ]
        if subject.title:
            attrs.append(x509.NameAttribute(NameOID.TITLE, subject.title))
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, subject.common_name))
        attrs.append(x509.NameAttribute(NameOID.USER_ID, subject.key))
        if subject.email:
            attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, subject.email))
        key = _new_key()
        builder = (
            self._base_builder(x509.Name(attrs), key, inter, inter_key, not_before, not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(self._ee_key_usage(), critical=True)
            .add_extension(self._crl_dp(self.crl_url), critical=False)
            .add_extension(self._aia(self.ca_url("intermediate"), self.ocsp_url), critical=False)
        )
        if subject.email:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.RFC822Name(subject.email)]), critical=False
            )
        cert = builder.sign(inter_key, hashes.SHA256())

        stem = _safe_name(subject.key)
        cert_path = self.directory / "subjects" / f"{stem}.pem"
        p12_path = self.directory / "subjects" / f"{stem}.p12"
        passphrase = secrets.token_urlsafe(18)
        p12 = pkcs12.serialize_key_and_certificates(
            name=subject.key.encode(),
            key=key,
            cert=cert,
            cas=self.chain,
            encryption_algorithm=serialization.BestAvailableEncryption(passphrase.encode()),
        )
        _write_atomic(p12_path, p12, 0o600)
        _write_atomic(cert_path, _cert_pem(cert))
        state["subjects"][subject.key] = {
            "subject": asdict(subject),
            "serial": format(cert.serial_number, "x"),
            "cert": str(cert_path.relative_to(self.directory)),
            "p12": str(p12_path.relative_to(self.directory)),
            "passphrase": passphrase,
        }
        self._record_issued(state, cert, cert_path)
        return cert

    def _write_crl(self, state: dict[str, Any], ca: Literal["root", "intermediate"]) -> None:
        now = _now()
        issuer = self._load_cert(self.directory / f"{ca}.pem")
        issuer_key = self._load_key(ca)
        number = int(state["crl_number"].get(ca, 0)) + 1
        state["crl_number"][ca] = number
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.subject)
            .last_update(now - timedelta(minutes=1))
            .next_update(now + _CRL_LIFETIME)
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
            )
        )
        issuer_rfc = issuer.subject.rfc4514_string()
        for serial, revoked in state["revoked"].items():
            if state["issued"].get(serial, {}).get("issuer") != issuer_rfc:
                continue
            entry = (
                x509.RevokedCertificateBuilder()
                .serial_number(int(serial, 16))
                .revocation_date(datetime.fromisoformat(revoked["date"]))
            )
            reason = REVOCATION_REASONS[revoked["reason"]]
            if reason is not x509.ReasonFlags.unspecified:
                entry = entry.add_extension(x509.CRLReason(reason), critical=False)
            builder = builder.add_revoked_certificate(entry.build())
        crl = builder.sign(issuer_key, hashes.SHA256())
        _write_atomic(self.directory / f"{ca}.crl", crl.public_bytes(serialization.Encoding.DER))

    @staticmethod
    def _base_builder(
        name: x509.Name,
        key: rsa.RSAPrivateKey,
        issuer: x509.Certificate,
        issuer_key: rsa.RSAPrivateKey,
        not_before: datetime,
        not_after: datetime,
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
            )
        )

    @staticmethod
    def _ca_key_usage() -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=False,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        )

    @staticmethod
    def _ee_key_usage() -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=True,
            content_commitment=True,  # nonRepudiation
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        )

    @staticmethod
    def _crl_dp(url: str) -> x509.CRLDistributionPoints:
        return x509.CRLDistributionPoints(
            [x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)]
        )

    @staticmethod
    def _aia(ca_issuers: str, ocsp: str | None = None) -> x509.AuthorityInformationAccess:
        descriptions = []
        if ocsp:
            descriptions.append(
                x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp))
            )
        descriptions.append(
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(ca_issuers)
            )
        )
        return x509.AuthorityInformationAccess(descriptions)
