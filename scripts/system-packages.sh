#!/usr/bin/env bash
# Install the Debian packages eoffice needs when they are missing. Usage: system-packages.sh run|test
#   run:  what the product itself uses (fonts for Vietnamese PDFs, poppler, LibreOffice for DOCX drafts,
#         OCRmyPDF + Tesseract's Vietnamese model, SoftHSM2 and OpenSC for PKCS#11 tokens)
#   test: the above plus the servers and tools the test suite starts or drives (PostgreSQL, Redis, Chromium,
#         NSS tools for pdfsig's trust store)
set -euo pipefail
mode="${1:-run}"

packages=(
  python3-venv fonts-liberation fonts-liberation2 fonts-dejavu-core poppler-utils libnss3-tools
  libreoffice-writer-nogui ocrmypdf tesseract-ocr tesseract-ocr-vie ghostscript
  softhsm2 opensc
)
if [ "$mode" = "test" ]; then
  packages+=(postgresql redis-server chromium)
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    # python3-venv is not needed when the Python in use already has a working venv module (pyenv, python.org builds).
    if [ "$pkg" = python3-venv ] && python3 -c 'import ensurepip, venv' 2>/dev/null; then
      continue
    fi
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "Installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "These Debian packages are missing and I am not root: ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Debian packages installed."
