# The production image: web (gunicorn), Celery worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=eoffice.settings

# Fonts that render Vietnamese in PDFs, poppler, LibreOffice for DOCX drafts, OCRmyPDF with Tesseract's Vietnamese
# model, and the PKCS#11 tools for tokens and HSMs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      fonts-liberation2 fonts-dejavu-core poppler-utils libnss3-tools libreoffice-writer-nogui \
      ocrmypdf tesseract-ocr tesseract-ocr-vie ghostscript softhsm2 opensc curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY eoffice eoffice
COPY workflows workflows
COPY signing signing
COPY search search
COPY templates templates
COPY static static
COPY locale locale
COPY manage.py ./
RUN pip install --no-cache-dir . \
 && useradd --system --uid 1000 --home /app eoffice \
 && mkdir -p /var/lib/eoffice && chown eoffice /var/lib/eoffice
ENV EOFFICE_VAR_DIR=/var/lib/eoffice STATIC_ROOT=/app/staticfiles
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --no-input -v 0
USER eoffice
EXPOSE 8000
CMD ["gunicorn", "eoffice.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--timeout", "120"]
