"""Checks shared by the PAdES tests: validate every signature with pyHanko and with poppler's ``pdfsig``."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


def pyhanko_statuses(pdf: bytes, root_pem: Path) -> list:
    """pyHanko's status of every signature, trusting only ``root_pem`` (no network: revocation soft-fails)."""
    root = load_cert_from_pemder(str(root_pem))
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    statuses = []
    for embedded in reader.embedded_signatures:
        context = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")
        statuses.append(validate_pdf_signature(embedded, context))
    return statuses


def make_nss_db(directory: Path, root_pem: Path) -> str:
    """An NSS database trusting only the development root, for ``pdfsig -nssdir``."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True,
                   capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{directory}", "-n", "eoffice-dev-root", "-t", "CT,C,C",
                    "-i", str(root_pem)], check=True, capture_output=True)
    return f"sql:{directory}"


@dataclass
class PdfsigEntry:
    field: str
    signer: str
    valid: bool
    certificate: str
    total: bool


def pdfsig(pdf: bytes, nssdir: str, tmp: Path) -> list[PdfsigEntry]:
    """Parse ``pdfsig``'s report of every signature in ``pdf``."""
    path = tmp / "check.pdf"
    path.write_bytes(pdf)
    proc = subprocess.run(["pdfsig", "-nssdir", nssdir, str(path)], capture_output=True, text=True, timeout=120)
    entries = []
    for block in re.split(r"^Signature #\d+:", proc.stdout, flags=re.M)[1:]:
        def get(label: str, text: str = block) -> str:
            match = re.search(rf"- {label}: (.*)", text)
            return match.group(1).strip() if match else ""
        entries.append(PdfsigEntry(
            field=get("Signature Field Name"),
            signer=get("Signer Certificate Common Name"),
            valid=get("Signature Validation") == "Signature is Valid.",
            certificate=get("Certificate Validation"),
            total="Total document signed" in block,
        ))
    return entries


def assert_pdfsig_all_valid(pdf: bytes, nssdir: str, tmp: Path, expected: int) -> list[PdfsigEntry]:
    """Every signature valid; trust asserted once per distinct signer (poppler 22.12 reports the second and later
    signatures of the same certificate as "Unknown issue", see docs/ARCHITECTURE.md)."""
    entries = pdfsig(pdf, nssdir, tmp)
    assert len(entries) == expected, entries
    assert all(e.valid for e in entries), entries
    seen: set[str] = set()
    for entry in entries:
        if entry.signer not in seen:
            assert entry.certificate == "Certificate is Trusted.", entry
            seen.add(entry.signer)
    return entries
