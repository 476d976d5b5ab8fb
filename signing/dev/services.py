"""Loopback services a real certification authority provides, answered from a :class:`signing.pki.DevPKI`.

    GET  /crl/root.crl, /crl/intermediate.crl   current CRLs (DER, ``application/pkix-crl``)
    POST /ocsp  (or GET /ocsp/<base64 request>) RFC 6960 OCSP, signed by the delegated responder certificate
    POST /tsa                                   RFC 3161 time-stamping (``application/timestamp-query``)
    GET  /ca/root.crt, /ca/intermediate.crt     CA certificates (DER); ``.pem`` gives PEM

Every answer is computed from the PKI directory at request time, so a revocation made by another process (a
management command, a test) is visible at once. The server binds to a loopback address only.

Run it for ``make run`` with ``python -m signing.dev.services --pki var/pki --port 8765``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import logging
import socket
import threading
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from signing.pki import REVOCATION_REASONS, DevPKI

__all__ = ["DevServices", "main"]

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 64 * 1024  # OCSP and TSA requests are a few hundred bytes
OCSP_VALIDITY = timedelta(hours=12)
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}

_HASHES: dict[type[hashes.HashAlgorithm], str] = {
    hashes.SHA1: "sha1",
    hashes.SHA256: "sha256",
    hashes.SHA384: "sha384",
    hashes.SHA512: "sha512",
}


class _Responder:
    """The request-independent logic (no HTTP), so it can be tested and reused directly."""

    def __init__(self, pki: DevPKI) -> None:
        self.pki = pki

    # ----------------------------------------------------------------------------- OCSP
    def ocsp(self, request_der: bytes) -> bytes:
        try:
            request = ocsp.load_der_ocsp_request(request_der)
        except ValueError:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.MALFORMED_REQUEST
            ).public_bytes(serialization.Encoding.DER)
        algorithm = request.hash_algorithm
        name = _HASHES.get(type(algorithm))
        issuer = None
        if name is not None:
            for candidate in (self.pki.intermediate_certificate, self.pki.root_certificate):
                if _key_hash(candidate, name) == request.issuer_key_hash:
                    issuer = candidate
                    break
        now = datetime.now(UTC).replace(microsecond=0)
        status, revoked_at, reason = "unknown", None, None
        if issuer is not None:
            status, revoked_at, reason = self.pki.revocation_status(request.serial_number, issuer)
        cert_status = {
            "good": ocsp.OCSPCertStatus.GOOD,
            "revoked": ocsp.OCSPCertStatus.REVOKED,
            "unknown": ocsp.OCSPCertStatus.UNKNOWN,
        }[status]
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=algorithm,
            cert_status=cert_status,
            this_update=now - timedelta(minutes=1),
            next_update=now + OCSP_VALIDITY,
            revocation_time=revoked_at,
            revocation_reason=REVOCATION_REASONS[reason] if reason else None,
        )
        for ext in request.extensions:
            if isinstance(ext.value, x509.OCSPNonce):
                builder = builder.add_extension(ext.value, critical=False)
        if issuer is not None and issuer == self.pki.root_certificate:
            # The delegated responder is certified by the intermediate, so it may not speak for the root's
            # certificates: the root answers those itself.
            responder, responder_key = self.pki.root_certificate, self.pki.ca_key("root")
        else:
            responder, responder_key = self.pki.ocsp_certificate, self.pki.ca_key("ocsp")
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder)
        if responder != self.pki.root_certificate:
            builder = builder.certificates([responder])
        response = builder.sign(responder_key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)

    # ----------------------------------------------------------------------------- TSA
    def timestamp(self, request_der: bytes) -> bytes:
        from pyhanko.sign.timestamps import DummyTimeStamper

        try:
            request = tsp.TimeStampReq.load(request_der)
            request.native  # noqa: B018 - force a full parse, so a malformed request is rejected here
        except (ValueError, TypeError) as exc:
            logger.info("malformed timestamp request: %s", exc)
            status = tsp.PKIStatusInfo({"status": "rejection", "fail_info": tsp.PKIFailureInfo({"bad_request"})})
            # asn1crypto insists on a token, but a rejection carries none: wrap the status in a SEQUENCE by hand
            body = status.dump()
            return b"\x30" + bytes([len(body)]) + body
        stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(self.pki.tsa_certificate.public_bytes(serialization.Encoding.DER)),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                self.pki.ca_key("tsa").private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            certs_to_embed=[
                asn1_x509.Certificate.load(self.pki.intermediate_certificate.public_bytes(serialization.Encoding.DER))
            ],
            fixed_dt=datetime.now(UTC),
        )
        return stamper.request_tsa_response(request).dump()

    # ----------------------------------------------------------------------------- downloads
    def ca_certificate(self, filename: str) -> tuple[bytes, str] | None:
        stem, _, ext = filename.partition(".")
        certs = {"root": self.pki.root_certificate, "intermediate": self.pki.intermediate_certificate}
        if stem not in certs or ext not in ("crt", "cer", "der", "pem"):
            return None
        if ext == "pem":
            return certs[stem].public_bytes(serialization.Encoding.PEM), "application/x-pem-file"
        return certs[stem].public_bytes(serialization.Encoding.DER), "application/pkix-cert"

    def crl(self, filename: str) -> bytes | None:
        if filename == "root.crl":
            return self.pki.current_crl("root")
        if filename == "intermediate.crl":
            return self.pki.current_crl("intermediate")
        return None


def _key_hash(cert: x509.Certificate, algorithm: str) -> bytes:
    """Hash of the subjectPublicKey BIT STRING, as OCSP's CertID issuerKeyHash defines it."""
    spki = asn1_keys.PublicKeyInfo.load(
        cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return hashlib.new(algorithm, spki["public_key"].contents[1:]).digest()


class _Handler(BaseHTTPRequestHandler):
    server_version = "eoffice-devservices/1"
    responder: _Responder  # set on the subclass made per server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base class
        logger.debug("%s - %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(body)

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        path = self.path.split("?", 1)[0]
        try:
            if path.startswith("/crl/"):
                body = self.responder.crl(path[len("/crl/"):])
                if body is None:
                    return self._not_found()
                return self._send(HTTPStatus.OK, body, "application/pkix-crl")
            if path.startswith("/ca/"):
                found = self.responder.ca_certificate(path[len("/ca/"):])
                if found is None:
                    return self._not_found()
                return self._send(HTTPStatus.OK, found[0], found[1])
            if path.startswith("/ocsp/"):
                try:
                    request = base64.b64decode(unquote(path[len("/ocsp/"):]), validate=False)
                except binascii.Error:
                    request = b""
                return self._send(HTTPStatus.OK, self.responder.ocsp(request), "application/ocsp-response")
            if path in ("/", ""):
                text = (
                    "eoffice development PKI services\n"
                    "/crl/root.crl /crl/intermediate.crl /ocsp /tsa /ca/root.crt /ca/intermediate.crt\n"
                )
                return self._send(HTTPStatus.OK, text.encode(), "text/plain; charset=utf-8")
            return self._not_found()
        except Exception:  # a development service: log and answer 500 rather than drop the connection
            logger.exception("devservices GET %s failed", path)
            return self._send(HTTPStatus.INTERNAL_SERVER_ERROR, b"error\n", "text/plain")

    def do_POST(self) -> None:  # noqa: N802 - name fixed by http.server
        path = self.path.split("?", 1)[0]
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_REQUEST_BYTES:
            return self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"request too large\n", "text/plain")
        body = self.rfile.read(length)
        try:
            if path == "/ocsp":
                return self._send(HTTPStatus.OK, self.responder.ocsp(body), "application/ocsp-response")
            if path == "/tsa":
                return self._send(HTTPStatus.OK, self.responder.timestamp(body), "application/timestamp-reply")
            return self._not_found()
        except Exception:
            logger.exception("devservices POST %s failed", path)
            return self._send(HTTPStatus.INTERNAL_SERVER_ERROR, b"error\n", "text/plain")


def is_listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something (the ``make run`` PKI services process, say) already serves ``port`` on loopback."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class DevServices:
    """The CRL/OCSP/TSA/CA-download server for a development PKI, on a loopback address.

    ``start()`` binds and listens before it returns, so a client may connect immediately; ``stop()`` shuts the
    server down and joins its thread. Usable as a context manager.
    """

    def __init__(self, pki: DevPKI, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in _LOOPBACK:
            raise ValueError("the development services only listen on a loopback address")
        self.pki = pki
        self.host = host
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("DevServices not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/tsa"

    def start(self) -> DevServices:
        if self._server is not None:
            return self
        handler = type("DevServicesHandler", (_Handler,), {"responder": _Responder(self.pki)})
        server = ThreadingHTTPServer((self.host, self.port), handler)  # binds and listens
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="eoffice-devservices", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)

    def serve_forever(self) -> None:
        """Run in the calling thread (the command-line entry point)."""
        self.start()
        assert self._thread is not None
        try:
            self._thread.join()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> DevServices:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the development PKI's CRL, OCSP, TSA and CA certificates.")
    parser.add_argument("--pki", type=Path, required=True, help="PKI directory (created if missing)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    pki = DevPKI(args.pki, services_url=f"http://{args.host}:{args.port}")
    pki.ensure()
    services = DevServices(pki, host=args.host, port=args.port)
    services.start()
    print(f"eoffice development PKI services on {services.url} (PKI {args.pki})", flush=True)
    services.serve_forever()


if __name__ == "__main__":
    main()
