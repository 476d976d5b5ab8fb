"""Signing with PKCS#11 tokens and HSMs.

Officials keep their keys on USB tokens; agencies keep seals in HSMs. Both speak PKCS#11, so one code path serves
both: :class:`Pkcs11KeySource` hands pyHanko a ``PKCS11Signer`` for one-shot signing on the server (HSM, or a token
plugged into the server in development), and the low-level functions here (:func:`list_certificates`,
:func:`sign_with_token`) serve the reference signing agent that runs on an official's computer.

The PIN is the thing to protect: a token locks itself after a few wrong PINs (3 to 5 on the tokens sold in
Vietnam) and unlocking needs the certificate authority. So this module presents a PIN to the token **exactly once**
per request and never retries, refuses to try at all when the token already reports it is locked, and turns every
failure into a :class:`TokenError` whose message an official can read (Vietnamese).

The module does not import Django: the agent that uses it runs on officials' computers.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pkcs11
from asn1crypto import algos, core
from asn1crypto import x509 as asn1_x509
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11_exc
from pkcs11.util.ec import encode_ecdsa_signature

__all__ = [
    "Pkcs11KeySource",
    "TokenCertificate",
    "TokenError",
    "TokenInfo",
    "TokenKeyNotFoundError",
    "TokenLockedError",
    "TokenModuleError",
    "TokenNotFoundError",
    "TokenPinIncorrectError",
    "close_session",
    "find_certificate",
    "list_certificates",
    "list_tokens",
    "load_module",
    "open_session",
    "sign_with_token",
]

DIGEST_ALGORITHMS = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
_RSA_DATA_MECHANISMS = {
    "sha256": Mechanism.SHA256_RSA_PKCS,
    "sha384": Mechanism.SHA384_RSA_PKCS,
    "sha512": Mechanism.SHA512_RSA_PKCS,
}


# --- Errors ---------------------------------------------------------------------------------------------------------


class TokenError(Exception):
    """A token problem, with a message for the official (Vietnamese) in ``str(error)``.

    ``code`` is a stable machine-readable name (the agent returns it in its JSON errors).
    """

    code = "token_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TokenModuleError(TokenError):
    code = "module_error"


class TokenNotFoundError(TokenError):
    code = "token_not_found"


class TokenPinIncorrectError(TokenError):
    code = "pin_incorrect"


class TokenLockedError(TokenError):
    code = "pin_locked"


class TokenKeyNotFoundError(TokenError):
    code = "key_not_found"


def _describe_token(token_label: str | None, token_serial: str | None) -> str:
    if token_label:
        return f"token “{token_label}”"
    if token_serial:
        return f"token có số sê-ri {token_serial}"
    return "token ký số"


# --- Module and tokens ----------------------------------------------------------------------------------------------

# Sessions this process holds open per module: the module may only be re-initialised (to see a token plugged in
# after start, or a new SoftHSM2 configuration) while none is open, since C_Finalize would invalidate them.
_open_sessions: dict[str, int] = {}
_sessions_lock = threading.Lock()


def load_module(lib_path: str) -> Any:
    """Load (once per process) and initialise a PKCS#11 module."""
    try:
        return pkcs11.lib(str(lib_path))
    except (p11_exc.PKCS11Error, OSError, RuntimeError) as exc:
        raise TokenModuleError(
            f"Không nạp được thư viện PKCS#11 của token ({lib_path}). Hãy kiểm tra trình điều khiển (driver) "
            f"của token đã được cài đặt đúng. Chi tiết: {exc}"
        ) from exc


def _refresh_module(lib: Any) -> bool:
    """Re-initialise the module so that it sees tokens inserted since it was loaded; False when unsafe now."""
    with _sessions_lock:
        if _open_sessions.get(lib.so, 0):
            return False
        try:
            lib.reinitialize()
        except p11_exc.PKCS11Error:
            return False
        return True


@dataclass(frozen=True)
class TokenInfo:
    """What a token says about itself, before any login."""

    label: str
    serial: str
    manufacturer: str
    model: str
    pin_count_low: bool
    pin_final_try: bool
    pin_locked: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "serial": self.serial,
            "manufacturer": self.manufacturer,
            "model": self.model,
            "pin_count_low": self.pin_count_low,
            "pin_final_try": self.pin_final_try,
            "pin_locked": self.pin_locked,
        }


def _token_info(token: Any) -> TokenInfo:
    flags = token.flags
    return TokenInfo(
        label=token.label,
        serial=_serial_text(token.serial),
        manufacturer=token.manufacturer_id,
        model=token.model,
        pin_count_low=bool(flags & TokenFlag.USER_PIN_COUNT_LOW),
        pin_final_try=bool(flags & TokenFlag.USER_PIN_FINAL_TRY),
        pin_locked=bool(flags & TokenFlag.USER_PIN_LOCKED),
    )


def _serial_text(serial: bytes | str) -> str:
    if isinstance(serial, bytes):
        return serial.decode("ascii", "replace").strip()
    return str(serial).strip()


def _present_tokens(lib: Any) -> list[Any]:
    tokens = []
    for slot in lib.get_slots(token_present=True):
        try:
            token = slot.get_token()
        except (p11_exc.TokenNotPresent, p11_exc.TokenNotRecognised, p11_exc.DeviceRemoved):
            continue
        if token.flags & TokenFlag.TOKEN_INITIALIZED:
            tokens.append(token)
    return tokens


def _tokens(lib_path: str, *, refresh: bool) -> list[Any]:
    lib = load_module(lib_path)
    if refresh:
        _refresh_module(lib)
    try:
        return _present_tokens(lib)
    except p11_exc.PKCS11Error as exc:
        raise TokenModuleError(f"Không đọc được danh sách token từ thư viện PKCS#11: {exc}") from exc


def list_tokens(lib_path: str, *, refresh: bool = True) -> list[TokenInfo]:
    """The initialised tokens present now (``refresh`` re-scans the slots when it is safe)."""
    return [_token_info(token) for token in _tokens(lib_path, refresh=refresh)]


def _find_token(lib_path: str, token_label: str | None, token_serial: str | None) -> Any:
    def matching(tokens: list[Any]) -> list[Any]:
        return [
            token
            for token in tokens
            if (token_label is None or token.label == token_label)
            and (token_serial is None or _serial_text(token.serial) == token_serial)
        ]

    found = matching(_tokens(lib_path, refresh=False))
    if not found:
        # Maybe plugged in (or configured) after the module was initialised: look again after a re-scan.
        found = matching(_tokens(lib_path, refresh=True))
    if not found:
        raise TokenNotFoundError(
            f"Không tìm thấy {_describe_token(token_label, token_serial)}. "
            "Hãy cắm token vào máy tính và thử lại."
        )
    if len(found) > 1:
        raise TokenNotFoundError(
            "Có nhiều token đang cắm vào máy tính; hãy chỉ rõ token cần dùng (tên hoặc số sê-ri)."
        )
    return found[0]


# --- Login ----------------------------------------------------------------------------------------------------------


def _login(token: Any, pin: str) -> Any:
    """Present the PIN to the token once: C_OpenSession + C_Login, nothing else, never again on failure."""
    return token.open(user_pin=pin)


def open_session(
    lib_path: str,
    pin: str,
    *,
    token_label: str | None = None,
    token_serial: str | None = None,
) -> Any:
    """Open a logged-in session on one token, presenting ``pin`` exactly once.

    Raises :class:`TokenLockedError` without trying when the token reports its PIN locked, and
    :class:`TokenPinIncorrectError` (never retrying) when the token refuses the PIN. Close the returned session
    with :func:`close_session` (or use :class:`Pkcs11KeySource`, which does).
    """
    if not pin:
        raise TokenPinIncorrectError("Chưa nhập mã PIN của token.")
    token = _find_token(lib_path, token_label, token_serial)
    info = _token_info(token)
    name = _describe_token(info.label, info.serial)
    if info.pin_locked:
        raise TokenLockedError(
            f"Mã PIN của {name} đã bị khóa do nhập sai quá số lần cho phép. Hãy liên hệ bộ phận quản trị "
            "hoặc tổ chức cung cấp dịch vụ chứng thực chữ ký số để mở khóa."
        )
    try:
        session = _login(token, pin)
    except p11_exc.PinIncorrect as exc:
        warning = _pin_warning(token)
        raise TokenPinIncorrectError(
            f"Mã PIN không đúng ({name}). Hệ thống chỉ thử mã PIN một lần và không tự thử lại, để token không "
            f"bị khóa; hãy kiểm tra mã PIN trước khi ký lại.{warning}"
        ) from exc
    except p11_exc.PinLocked as exc:
        raise TokenLockedError(
            f"Mã PIN của {name} đã bị khóa do nhập sai quá số lần cho phép. Hãy liên hệ bộ phận quản trị "
            "hoặc tổ chức cung cấp dịch vụ chứng thực chữ ký số để mở khóa."
        ) from exc
    except (p11_exc.PinLenRange, p11_exc.PinInvalid) as exc:
        raise TokenPinIncorrectError(
            f"Mã PIN không hợp lệ (sai độ dài hoặc có ký tự không được phép) cho {name}."
        ) from exc
    except p11_exc.PinExpired as exc:
        raise TokenLockedError(f"Mã PIN của {name} đã hết hạn; hãy đổi mã PIN bằng phần mềm của token.") from exc
    except p11_exc.UserAlreadyLoggedIn as exc:
        raise TokenError(
            f"{name[0].upper()}{name[1:]} đang được một phiên ký khác trong cùng chương trình sử dụng; "
            "hãy đợi phiên đó kết thúc rồi thử lại."
        ) from exc
    except (p11_exc.TokenNotPresent, p11_exc.DeviceRemoved) as exc:
        raise TokenNotFoundError(f"Không còn thấy {name}: token đã bị rút ra? Hãy cắm lại và thử lại.") from exc
    except p11_exc.PKCS11Error as exc:
        raise TokenError(f"Token từ chối đăng nhập ({name}): {exc.__class__.__name__}.") from exc
    with _sessions_lock:
        _open_sessions[lib_path] = _open_sessions.get(lib_path, 0) + 1
    return session


def close_session(lib_path: str, session: Any) -> None:
    """Close a session from :func:`open_session` (logging out once it is the last one)."""
    try:
        session.close()
    except p11_exc.PKCS11Error:
        pass  # token pulled out meanwhile: nothing left to close
    finally:
        with _sessions_lock:
            _open_sessions[lib_path] = max(0, _open_sessions.get(lib_path, 0) - 1)


def _pin_warning(token: Any) -> str:
    try:
        flags = token.slot.get_token().flags  # fresh flags: the failed login may have changed them
    except p11_exc.PKCS11Error:
        return ""
    if flags & TokenFlag.USER_PIN_LOCKED:
        return " Token đã bị khóa mã PIN."
    if flags & TokenFlag.USER_PIN_FINAL_TRY:
        return " Lưu ý: nhập sai thêm một lần nữa token sẽ bị khóa."
    return ""


# --- Certificates ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenCertificate:
    """A certificate object found on a token (certificates are public: no PIN needed to list them)."""

    token_label: str
    token_serial: str
    object_id: bytes
    label: str
    certificate: asn1_x509.Certificate

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER certificate, hex: how the web page names the certificate to sign with."""
        return hashlib.sha256(self.certificate.dump()).hexdigest()

    @property
    def is_ca(self) -> bool:
        return bool(self.certificate.ca)

    def as_dict(self) -> dict[str, Any]:
        cert = self.certificate
        return {
            "id": self.fingerprint,
            "object_id": self.object_id.hex(),
            "label": self.label,
            "token_label": self.token_label,
            "token_serial": self.token_serial,
            "subject": cert.subject.human_friendly,
            "common_name": cert.subject.native.get("common_name"),
            "issuer": cert.issuer.human_friendly,
            "serial_number": format(cert.serial_number, "x"),
            "not_before": cert["tbs_certificate"]["validity"]["not_before"].native.isoformat(),
            "not_after": cert["tbs_certificate"]["validity"]["not_after"].native.isoformat(),
            "is_ca": self.is_ca,
            "certificate": base64.b64encode(cert.dump()).decode("ascii"),
        }


def _certificates_on(token: Any) -> list[TokenCertificate]:
    info = _token_info(token)
    found = []
    with token.open() as session:  # public session: no login, the PIN is not involved
        for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
            try:
                der = obj[Attribute.VALUE]
            except p11_exc.PKCS11Error:
                continue
            try:
                object_id = bytes(obj[Attribute.ID])
            except p11_exc.PKCS11Error:
                object_id = b""
            try:
                label = obj[Attribute.LABEL]
            except p11_exc.PKCS11Error:
                label = ""
            found.append(
                TokenCertificate(
                    token_label=info.label,
                    token_serial=info.serial,
                    object_id=object_id,
                    label=label,
                    certificate=asn1_x509.Certificate.load(bytes(der)),
                )
            )
    return found


def list_certificates(
    lib_path: str,
    *,
    token_label: str | None = None,
    include_ca: bool = False,
    refresh: bool = True,
) -> list[TokenCertificate]:
    """Certificates on every present token (or on one, by label); CA certificates only if asked."""
    result = []
    for token in _tokens(lib_path, refresh=refresh):
        if token_label is not None and token.label != token_label:
            continue
        for cert in _certificates_on(token):
            if include_ca or not cert.is_ca:
                result.append(cert)
    return result


def find_certificate(lib_path: str, fingerprint: str, *, refresh: bool = True) -> TokenCertificate:
    """The certificate with this SHA-256 fingerprint on any present token."""
    fingerprint = fingerprint.lower().replace(":", "")
    for cert in list_certificates(lib_path, include_ca=True, refresh=refresh):
        if cert.fingerprint == fingerprint:
            return cert
    raise TokenKeyNotFoundError(
        "Không tìm thấy chứng thư số đã chọn trên token nào đang cắm vào máy tính. "
        "Hãy cắm đúng token của mình và thử lại."
    )


# --- Raw signing (the agent's operation) ----------------------------------------------------------------------------


def _digest_info(digest: bytes, digest_algorithm: str) -> bytes:
    return algos.DigestInfo(
        {"digest_algorithm": {"algorithm": digest_algorithm, "parameters": core.Null()}, "digest": digest}
    ).dump()


def sign_with_token(
    lib_path: str,
    pin: str,
    *,
    object_id: bytes | None = None,
    key_label: str | None = None,
    token_label: str | None = None,
    token_serial: str | None = None,
    data: bytes | None = None,
    digest: bytes | None = None,
    digest_algorithm: str = "sha256",
) -> bytes:
    """Sign ``data`` (hashed here) or a precomputed ``digest`` with the private key ``object_id``/``key_label``.

    Returns the raw signature value as it goes into a CMS ``SignerInfo``: PKCS#1 v1.5 bytes for RSA, a DER
    ``ECDSA-Sig-Value`` for EC keys. The PIN is presented once; the session is closed (and the token logged out)
    before returning, so the next request must present the PIN again.
    """
    digest_algorithm = digest_algorithm.lower().replace("-", "")
    if digest_algorithm not in DIGEST_ALGORITHMS:
        raise TokenError(f"Thuật toán băm không được hỗ trợ: {digest_algorithm}.")
    if (data is None) == (digest is None):
        raise TokenError("Cần đúng một trong hai: dữ liệu cần ký hoặc giá trị băm.")
    if digest is None:
        digest = DIGEST_ALGORITHMS[digest_algorithm](data).digest()
    if len(digest) != DIGEST_ALGORITHMS[digest_algorithm]().digest_size:
        raise TokenError(f"Giá trị băm không đúng độ dài của thuật toán {digest_algorithm}.")
    if object_id is None and key_label is None:
        raise TokenKeyNotFoundError("Chưa chỉ rõ khóa bí mật cần dùng để ký.")

    session = open_session(lib_path, pin, token_label=token_label, token_serial=token_serial)
    try:
        key = _private_key(session, object_id=object_id, key_label=key_label)
        key_type = key[Attribute.KEY_TYPE]
        try:
            if key_type == KeyType.RSA:
                return bytes(key.sign(_digest_info(digest, digest_algorithm), mechanism=Mechanism.RSA_PKCS))
            if key_type == KeyType.EC:
                return encode_ecdsa_signature(bytes(key.sign(digest, mechanism=Mechanism.ECDSA)))
        except (p11_exc.DeviceRemoved, p11_exc.TokenNotPresent) as exc:
            raise TokenNotFoundError("Token đã bị rút ra trong khi ký. Hãy cắm lại token và thử lại.") from exc
        except p11_exc.PKCS11Error as exc:
            raise TokenError(f"Token không ký được dữ liệu: {exc.__class__.__name__}.") from exc
        raise TokenError("Loại khóa trên token không được hỗ trợ (chỉ hỗ trợ RSA và ECDSA).")
    finally:
        close_session(lib_path, session)


def _private_key(session: Any, *, object_id: bytes | None, key_label: str | None) -> Any:
    query: dict[Attribute, Any] = {Attribute.CLASS: ObjectClass.PRIVATE_KEY}
    if object_id is not None:
        query[Attribute.ID] = object_id
    if key_label is not None:
        query[Attribute.LABEL] = key_label
    keys = list(session.get_objects(query))
    if len(keys) != 1:
        what = f"mã {object_id.hex()}" if object_id is not None else f"nhãn “{key_label}”"
        raise TokenKeyNotFoundError(
            f"Không tìm thấy khóa bí mật ({what}) trên token."
            if not keys
            else f"Có nhiều khóa bí mật trùng {what} trên token."
        )
    return keys[0]


# --- One-shot signing through pyHanko -------------------------------------------------------------------------------


def _as_asn1_cert(cert: Any) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, bytes | bytearray):
        return asn1_x509.Certificate.load(bytes(cert))
    public_bytes = getattr(cert, "public_bytes", None)  # cryptography.x509.Certificate
    if public_bytes is not None:
        from cryptography.hazmat.primitives.serialization import Encoding

        return asn1_x509.Certificate.load(public_bytes(Encoding.DER))
    raise TypeError(f"not a certificate: {cert!r}")


class Pkcs11KeySource:
    """A key on a PKCS#11 token or HSM, as a :class:`signing.keys.KeySource` (``signer()`` + ``chain()``).

    The key is chosen by ``key_label`` or ``cert_id`` (the CKA_ID shared by the key and its certificate, as token
    tools write them). ``chain`` supplies the intermediate (and root) certificates, since tokens usually carry only
    the holder's certificate. The session opens (and the PIN is presented, once) on the first call of
    :meth:`signer` and stays open until :meth:`close`, so a batch of documents costs one login. A failed login is
    remembered: later calls raise the same error instead of presenting the wrong PIN again.
    """

    def __init__(
        self,
        lib_path: str,
        token_label: str | None,
        pin: str,
        *,
        key_label: str | None = None,
        cert_id: bytes | None = None,
        chain: Iterable[Any] = (),
        token_serial: str | None = None,
        rsa_padding: str = "pkcs1v15",
    ) -> None:
        if key_label is None and cert_id is None:
            raise ValueError("key_label or cert_id is required")
        from .keys import check_rsa_padding

        # "pss": CKM_SHA256_RSA_PKCS_PSS (and SHA-384/512); "pkcs1v15" for tokens without PSS mechanisms.
        self.rsa_padding = check_rsa_padding(rsa_padding)
        self.lib_path = str(lib_path)
        self.token_label = token_label
        self.token_serial = token_serial
        self.key_label = key_label
        self.cert_id = cert_id
        self._pin = pin
        self._given_chain = [_as_asn1_cert(cert) for cert in chain]
        self._session: Any = None
        self._signer: Any = None
        self._login_error: TokenError | None = None
        self._lock = threading.Lock()

    def _open(self) -> Any:
        from pyhanko.sign.pkcs11 import PKCS11Signer

        session = open_session(self.lib_path, self._pin, token_label=self.token_label, token_serial=self.token_serial)
        try:
            signer = PKCS11Signer(
                session,
                key_label=self.key_label,
                cert_id=self.cert_id,
                ca_chain=self._given_chain,
                prefer_pss=self.rsa_padding == "pss",
            )
            signer._load_objects()  # fail here, clearly, rather than in the middle of a signature
        except p11_exc.PKCS11Error as exc:
            close_session(self.lib_path, session)
            what = f"nhãn “{self.key_label}”" if self.key_label else f"mã {(self.cert_id or b'').hex()}"
            raise TokenKeyNotFoundError(
                f"Không tìm thấy khóa bí mật hoặc chứng thư số ({what}) trên token: {exc}"
            ) from exc
        except Exception:
            close_session(self.lib_path, session)
            raise
        self._session = session
        return signer

    def signer(self) -> Any:
        """The pyHanko ``Signer`` (a ``PKCS11Signer`` on an open, logged-in session)."""
        with self._lock:
            if self._login_error is not None:
                raise self._login_error
            if self._signer is None:
                try:
                    self._signer = self._open()
                except (TokenPinIncorrectError, TokenLockedError) as exc:
                    self._login_error = exc  # never present a refused PIN to the token a second time
                    raise
            return self._signer

    @property
    def certificate(self) -> asn1_x509.Certificate:
        """The signing certificate, as read from the token."""
        return self.signer().signing_cert

    def chain(self) -> list[asn1_x509.Certificate]:
        """The signing certificate first, then the given certificates from its issuer upwards."""
        ordered = [self.certificate]
        remaining = [cert for cert in self._given_chain if cert != ordered[0]]
        while remaining:
            issuer = next((c for c in remaining if c.subject == ordered[-1].issuer), None)
            if issuer is None or issuer == ordered[-1]:
                break
            ordered.append(issuer)
            remaining.remove(issuer)
        return ordered + remaining

    def close(self) -> None:
        """Close the session (logs the token out); the next use opens a new one and asks the PIN again."""
        with self._lock:
            if self._session is not None:
                close_session(self.lib_path, self._session)
            self._session = None
            self._signer = None

    def __enter__(self) -> Pkcs11KeySource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:  # best effort: a forgotten source must not keep a token logged in
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
