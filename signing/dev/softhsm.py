"""SoftHSM2 tokens for tests and development.

A SoftHSM2 token behaves like the USB tokens officials carry (same PKCS#11 calls, same login rules), so tests and
developers can exercise the real PKCS#11 path with no hardware. Every token made here lives in its own directory
with its own ``softhsm2.conf``: nothing touches the machine's global SoftHSM configuration. The command-line tools
(``softhsm2-util``, ``pkcs11-tool``) run in child processes with ``SOFTHSM2_CONF`` set, exactly as an official's IT
staff would provision a token.

In-process users of the token must have ``SOFTHSM2_CONF`` pointing at :attr:`SoftHSMToken.conf_path` before the
module is initialised (see :meth:`SoftHSMToken.activate`), because SoftHSM2 reads its configuration once, at
``C_Initialize``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

__all__ = [
    "SOFTHSM_MODULE",
    "SoftHSMError",
    "SoftHSMToken",
    "create_token",
    "softhsm_available",
]

#: Where Debian's ``softhsm2`` package installs the PKCS#11 module.
SOFTHSM_MODULE = os.environ.get("SOFTHSM2_MODULE", "/usr/lib/softhsm/libsofthsm2.so")


class SoftHSMError(RuntimeError):
    """A SoftHSM2 provisioning step failed (the tool's own output is in the message)."""


def softhsm_available() -> bool:
    """Whether the SoftHSM2 module and the provisioning tools are installed on this machine."""
    return (
        Path(SOFTHSM_MODULE).exists()
        and shutil.which("softhsm2-util") is not None
        and shutil.which("pkcs11-tool") is not None
    )


@dataclass(frozen=True)
class SoftHSMToken:
    """An initialised SoftHSM2 token in its own directory."""

    directory: Path
    label: str
    user_pin: str
    so_pin: str
    module_path: str = SOFTHSM_MODULE

    @property
    def conf_path(self) -> Path:
        return self.directory / "softhsm2.conf"

    @property
    def env(self) -> dict[str, str]:
        """Environment for a child process (an agent, a tool) that must see this token only."""
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf_path)}

    @contextmanager
    def activate(self) -> Iterator[SoftHSMToken]:
        """Point this process's ``SOFTHSM2_CONF`` at the token for the duration of the block.

        The PKCS#11 module must be (re)initialised inside the block to see the token;
        :func:`signing.pkcs11.load_module` does that when asked for a token it does not know yet.
        """
        previous = os.environ.get("SOFTHSM2_CONF")
        os.environ["SOFTHSM2_CONF"] = str(self.conf_path)
        try:
            yield self
        finally:
            if previous is None:
                os.environ.pop("SOFTHSM2_CONF", None)
            else:
                os.environ["SOFTHSM2_CONF"] = previous

    def _run(self, args: list[str], *, what: str) -> str:
        result = subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            raise SoftHSMError(f"{what} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")
        return result.stdout

    def _pkcs11_tool(self, *args: str, what: str) -> str:
        return self._run(
            ["pkcs11-tool", "--module", self.module_path, "--token-label", self.label, "--login", "--pin",
             self.user_pin, *args],
            what=what,
        )

    def import_certificate(self, certificate: x509.Certificate, *, label: str, object_id: bytes) -> None:
        """Write a certificate object (e.g. a CA certificate of the chain) onto the token."""
        with tempfile.TemporaryDirectory(dir=self.directory) as tmp:
            cert_file = Path(tmp) / "cert.der"
            cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.DER))
            self._pkcs11_tool(
                "--write-object", str(cert_file), "--type", "cert", "--id", object_id.hex(), "--label", label,
                what=f"importing certificate {label!r}",
            )

    def import_key_and_certificate(
        self,
        private_key: object,
        certificate: x509.Certificate,
        *,
        label: str,
        object_id: bytes = b"\x01",
        chain: Iterable[x509.Certificate] = (),
    ) -> None:
        """Import a private key and its certificate under one label and id, as token vendors' tools do.

        The private key is marked sensitive and non-extractable by ``pkcs11-tool``, like a key generated on a real
        token. ``chain`` certificates, if given, are stored too (ids ``ca1``, ``ca2``...): some tokens carry them.
        """
        key_der = private_key.private_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with tempfile.TemporaryDirectory(dir=self.directory) as tmp:
            key_file = Path(tmp) / "key.der"
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(key_der)
            self._pkcs11_tool(
                "--write-object", str(key_file), "--type", "privkey", "--id", object_id.hex(), "--label", label,
                "--usage-sign",
                what=f"importing private key {label!r}",
            )
        self.import_certificate(certificate, label=label, object_id=object_id)
        for index, ca_cert in enumerate(chain, start=1):
            self.import_certificate(ca_cert, label=f"ca{index}", object_id=b"\xca" + bytes([index]))

    def import_pkcs12(
        self,
        pkcs12_path: Path | str,
        passphrase: bytes | None,
        *,
        label: str,
        object_id: bytes = b"\x01",
        include_chain: bool = False,
    ) -> x509.Certificate:
        """Import the key and certificate of a PKCS#12 key store (e.g. one of the development PKI's) onto the token.

        Returns the imported certificate. The chain stays off the token unless ``include_chain``: most officials'
        tokens carry only their own certificate, and the server supplies the chain.
        """
        key, cert, extra = pkcs12.load_key_and_certificates(Path(pkcs12_path).read_bytes(), passphrase)
        if key is None or cert is None:
            raise SoftHSMError(f"{pkcs12_path} holds no private key and certificate")
        self.import_key_and_certificate(
            key, cert, label=label, object_id=object_id, chain=(extra or []) if include_chain else ()
        )
        return cert


def create_token(
    directory: Path | str,
    *,
    label: str = "eoffice-test",
    user_pin: str = "123456",
    so_pin: str = "12345678",
    module_path: str = SOFTHSM_MODULE,
) -> SoftHSMToken:
    """Create and initialise a SoftHSM2 token in ``directory`` (its own config and token store)."""
    directory = Path(directory).resolve()
    (directory / "tokens").mkdir(parents=True, exist_ok=True)
    token = SoftHSMToken(directory=directory, label=label, user_pin=user_pin, so_pin=so_pin, module_path=module_path)
    token.conf_path.write_text(
        f"directories.tokendir = {directory / 'tokens'}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
        "slots.removable = false\n",
        encoding="utf-8",
    )
    token._run(
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", user_pin, "--so-pin", so_pin],
        what=f"initialising token {label!r}",
    )
    return token
