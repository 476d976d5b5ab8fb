"""The signing agent's local HTTP service (the way Vietnamese token plugins work).

The eoffice page, served by the agency's server, cannot reach the official's USB token; a small service on the
official's own computer can. The page calls it with ``fetch``:

* ``GET /status``       — the agent is running; which tokens are plugged in (no PIN needed);
* ``GET /certificates`` — the certificates on those tokens, DER in base64, with a SHA-256 id;
* ``POST /sign``        — ``{"certificate_id", "digest" | "data", "algorithm", "pin"}`` → ``{"signature"}``.

Safety rules, because any web page the official opens can try to call it:

* it listens on a loopback address only, refusing any other bind address at start;
* it answers browsers only from configured origins (CORS), and only under its own ``Host`` name (a DNS-rebinding
  page would come with a foreign ``Host``);
* it presents the PIN to the token once per ``/sign`` and logs the token out afterwards; the PIN is never logged;
* errors are JSON with a Vietnamese message the page can show as it is.

Standard library only (plus :mod:`signing.pkcs11`): no Django, it runs on the official's PC.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from signing import pkcs11 as p11

__all__ = [
    "DEFAULT_ORIGINS",
    "DEFAULT_PORT",
    "AgentConfig",
    "AgentConfigError",
    "AgentServer",
    "check_loopback",
]

AGENT_NAME = "eoffice-signing-agent"
AGENT_VERSION = "1.0"
DEFAULT_PORT = 8766
DEFAULT_ORIGINS = ("http://127.0.0.1:8000", "http://localhost:8000")
MAX_BODY = 64 * 1024  # a digest, a PIN, an id: anything bigger is not a signing request

log = logging.getLogger("signing.agent")


class AgentConfigError(ValueError):
    """The agent cannot start with this configuration (message in Vietnamese, for the IT staff)."""


def check_loopback(host: str) -> str:
    """Return ``host`` if it is a loopback address (``localhost`` becomes 127.0.0.1), else refuse.

    Only literal loopback addresses are accepted: a host name could resolve elsewhere, and ``0.0.0.0`` or ``::``
    would expose the token to the whole network.
    """
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError as exc:
        raise AgentConfigError(
            f"Địa chỉ “{host}” không hợp lệ: công cụ ký số chỉ được lắng nghe trên địa chỉ loopback "
            "(127.0.0.1 hoặc ::1)."
        ) from exc
    if not address.is_loopback:
        raise AgentConfigError(
            f"Từ chối lắng nghe trên “{host}”: công cụ ký số chỉ được lắng nghe trên địa chỉ loopback "
            "(127.0.0.1 hoặc ::1), để không máy nào khác truy cập được token."
        )
    return str(address)


@dataclass
class AgentConfig:
    """How the agent runs. ``module_path`` is the token vendor's PKCS#11 library."""

    module_path: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    allowed_origins: Iterable[str] = field(default=DEFAULT_ORIGINS)
    token_label: str | None = None  # restrict the agent to one token (optional)

    def __post_init__(self) -> None:
        self.host = check_loopback(self.host)
        self.allowed_origins = tuple(origin.rstrip("/") for origin in self.allowed_origins)


class _RequestError(Exception):
    def __init__(self, status: HTTPStatus, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


_TOKEN_ERROR_STATUS = {
    "pin_incorrect": HTTPStatus.UNAUTHORIZED,
    "pin_locked": HTTPStatus.LOCKED,
    "token_not_found": HTTPStatus.NOT_FOUND,
    "key_not_found": HTTPStatus.NOT_FOUND,
    "module_error": HTTPStatus.SERVICE_UNAVAILABLE,
}


def _b64decode(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise _RequestError(HTTPStatus.BAD_REQUEST, "bad_request", f"Thiếu {what} (base64).")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _RequestError(HTTPStatus.BAD_REQUEST, "bad_request", f"{what[0].upper()}{what[1:]} không phải base64 hợp lệ.") from exc


class _Handler(BaseHTTPRequestHandler):
    server: AgentServer  # type: ignore[assignment]
    server_version = f"{AGENT_NAME}/{AGENT_VERSION}"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base class signature
        log.info("%s %s", self.address_string(), format % args)  # request line only: never a body or a PIN

    # --- CORS and host checks -------------------------------------------------------------------------------------

    def _origin(self) -> str | None:
        return self.headers.get("Origin")

    def _origin_allowed(self) -> bool:
        origin = self._origin()
        return origin is None or origin.rstrip("/") in self.server.config.allowed_origins

    def _host_allowed(self) -> bool:
        host = (self.headers.get("Host") or "").lower()
        port = self.server.server_address[1]
        names = {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}
        return host in names

    def _cors_headers(self) -> dict[str, str]:
        origin = self._origin()
        if origin is None or not self._origin_allowed():
            return {}
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

    def _send_json(self, status: HTTPStatus, body: dict[str, Any], extra: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in {**self._cors_headers(), **(extra or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, error: _RequestError) -> None:
        self._send_json(error.status, {"error": error.code, "message": error.message})

    def _guard(self) -> None:
        if not self._host_allowed():
            raise _RequestError(
                HTTPStatus.FORBIDDEN, "host_not_allowed", "Yêu cầu không gửi tới công cụ ký số trên máy này."
            )
        if not self._origin_allowed():
            raise _RequestError(
                HTTPStatus.FORBIDDEN,
                "origin_not_allowed",
                f"Trang web {self._origin()} không được phép sử dụng công cụ ký số trên máy tính này.",
            )

    # --- Verbs ----------------------------------------------------------------------------------------------------

    def do_OPTIONS(self) -> None:  # noqa: N802 - name fixed by http.server
        try:
            self._guard()
        except _RequestError as error:
            self._send_error(error)
            return
        headers = {
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        }
        if self.headers.get("Access-Control-Request-Private-Network") == "true":
            # Chrome's Private Network Access preflight: an https page calling a loopback service.
            headers["Access-Control-Allow-Private-Network"] = "true"
        self.send_response(HTTPStatus.NO_CONTENT)
        for name, value in {**self._cors_headers(), **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch({"/status": self.server.status, "/certificates": self.server.certificates}, body=False)

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch({"/sign": self.server.sign}, body=True)

    def _dispatch(self, routes: dict[str, Any], *, body: bool) -> None:
        try:
            self._guard()
            path = self.path.split("?", 1)[0].rstrip("/") or "/"
            handler = routes.get(path)
            if handler is None:
                raise _RequestError(HTTPStatus.NOT_FOUND, "not_found", "Không có chức năng này trong công cụ ký số.")
            if body:
                result = handler(self._read_json())
            else:
                result = handler()
            self._send_json(HTTPStatus.OK, result)
        except _RequestError as error:
            self._send_error(error)
        except p11.TokenError as error:
            status = _TOKEN_ERROR_STATUS.get(error.code, HTTPStatus.BAD_REQUEST)
            self._send_json(status, {"error": error.code, "message": error.message})
        except Exception:  # noqa: BLE001 - the page must get JSON, the details go to the agent's log
            log.exception("unexpected error")
            self._send_json(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                {"error": "internal_error", "message": "Công cụ ký số gặp lỗi không mong muốn; hãy thử lại."},
            )

    def _read_json(self) -> dict[str, Any]:
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise _RequestError(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "bad_request", "Yêu cầu ký phải gửi dạng JSON (application/json)."
            )
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if length <= 0 or length > MAX_BODY:
            raise _RequestError(HTTPStatus.BAD_REQUEST, "bad_request", "Yêu cầu ký rỗng hoặc quá lớn.")
        try:
            payload = json.loads(self.rfile.read(length))
        except (ValueError, UnicodeDecodeError) as exc:
            raise _RequestError(HTTPStatus.BAD_REQUEST, "bad_request", "Yêu cầu ký không phải JSON hợp lệ.") from exc
        if not isinstance(payload, dict):
            raise _RequestError(HTTPStatus.BAD_REQUEST, "bad_request", "Yêu cầu ký không phải JSON hợp lệ.")
        return payload


class AgentServer(ThreadingHTTPServer):
    """The agent's HTTP server. Token operations are serialised: one login at a time, like the token itself."""

    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self._token_lock = threading.Lock()
        self.address_family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        super().__init__((config.host, config.port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    # --- Operations -----------------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self._token_lock:
            try:
                tokens = [t.as_dict() for t in p11.list_tokens(self.config.module_path)]
                module_error = None
            except p11.TokenModuleError as error:
                tokens, module_error = [], error.message
        tokens = [t for t in tokens if self.config.token_label in (None, t["label"])]
        return {
            "status": "ok",
            "agent": AGENT_NAME,
            "version": AGENT_VERSION,
            "module": self.config.module_path,
            "module_error": module_error,
            "tokens": tokens,
        }

    def certificates(self) -> dict[str, Any]:
        with self._token_lock:
            certs = p11.list_certificates(self.config.module_path, token_label=self.config.token_label)
        return {"certificates": [cert.as_dict() for cert in certs]}

    def sign(self, request: dict[str, Any]) -> dict[str, Any]:
        certificate_id = request.get("certificate_id")
        if not isinstance(certificate_id, str) or not certificate_id:
            raise _RequestError(HTTPStatus.BAD_REQUEST, "bad_request", "Thiếu mã chứng thư số cần dùng để ký.")
        algorithm = str(request.get("algorithm") or "sha256").lower().replace("-", "")
        if algorithm not in p11.DIGEST_ALGORITHMS:
            raise _RequestError(HTTPStatus.BAD_REQUEST, "bad_request", f"Thuật toán băm không được hỗ trợ: {algorithm}.")
        has_digest, has_data = "digest" in request, "data" in request
        if has_digest == has_data:
            raise _RequestError(
                HTTPStatus.BAD_REQUEST, "bad_request", "Cần gửi đúng một trong hai: giá trị băm (digest) hoặc dữ liệu (data)."
            )
        digest = _b64decode(request["digest"], "giá trị băm") if has_digest else None
        data = _b64decode(request["data"], "dữ liệu cần ký") if has_data else None
        pin = request.get("pin")
        if not isinstance(pin, str) or not pin:
            raise _RequestError(HTTPStatus.BAD_REQUEST, "pin_required", "Chưa nhập mã PIN của token.")
        with self._token_lock:
            cert = p11.find_certificate(self.config.module_path, certificate_id)
            if self.config.token_label not in (None, cert.token_label):
                raise p11.TokenKeyNotFoundError("Chứng thư số đã chọn không nằm trên token được cấu hình.")
            signature = p11.sign_with_token(
                self.config.module_path,
                pin,
                object_id=cert.object_id,
                token_serial=cert.token_serial,
                data=data,
                digest=digest,
                digest_algorithm=algorithm,
            )
        return {
            "signature": base64.b64encode(signature).decode("ascii"),
            "certificate_id": cert.fingerprint,
            "algorithm": algorithm,
            "signature_algorithm": "ecdsa" if cert.certificate.public_key.algorithm == "ec" else "rsassa_pkcs1v15",
        }
