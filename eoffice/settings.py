"""Settings for eoffice, read from environment variables.

Every setting has a working default for the embedded mode (``make run``): SQLite in ``var/``, a Celery worker on the
kombu SQLAlchemy transport, the embedded search backend, files in ``var/media``. Production (docker-compose) sets the
variables documented in the README. Nothing secret lives in the repository: the secret key is generated on first
run into ``var/secret_key`` (ignored by git) unless ``DJANGO_SECRET_KEY`` is set.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Local state of the embedded mode: database, broker, media, development PKI, generated secret key.
VAR_DIR = Path(env("EOFFICE_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    from_env = env("DJANGO_SECRET_KEY")
    if from_env:
        return from_env
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        # Written once, readable by the owner only, never committed (var/ is ignored).
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "viewflow",
    "eoffice.core",  # stored text composed (NFC): the pre_save normaliser, no models
    "eoffice.orgs",
    "eoffice.audit",
    "eoffice.api",
    "signing",
    "search",
    "viewflow.workflow",
    "eoffice.documents",
    "eoffice.notifications",
    "eoffice.incoming",
    "workflows",
    "eoffice.outgoing",
    "eoffice.reports",
    "eoffice.archive",
    "eoffice.interchange",
    "eoffice.work",
    "eoffice.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "eoffice.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "eoffice.middleware.ComposeUnicodeMiddleware",  # GET/POST text in NFC (issue 13)
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "eoffice.urls"
WSGI_APPLICATION = "eoffice.wsgi.application"
ASGI_APPLICATION = "eoffice.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "eoffice.pages.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'eoffice.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(env("DB_CONN_MAX_AGE", "0")))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer commits; IMMEDIATE transactions take the write lock up front, so two
    # registrations never both read the same series value (the number allocation relies on it).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-eoffice.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "orgs.Person"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Language and time ----------------------------------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", "vi")
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static", ("signing-agent", BASE_DIR / "signing" / "agent" / "static")]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
# STORAGE_BACKEND is any Django storage class (django-storages' S3 backend in a scaled-out production).
STORAGES = {
    "default": {"BACKEND": env("STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_BACKEND",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage",
        )
    },
}
WHITENOISE_USE_FINDERS = True
# Uploads larger than this are refused with a clear error before they are stored (bytes).
EOFFICE_MAX_UPLOAD_BYTES = int(env("EOFFICE_MAX_UPLOAD_BYTES", str(50 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Celery ---------------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite3'}")
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "signing.*": {"queue": "signing"},
    "search.*": {"queue": "indexing"},
    "ocr.*": {"queue": "ocr"},
    "interchange.*": {"queue": "interchange"},
    "outgoing.convert_docx": {"queue": "conversion"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# --- Search ---------------------------------------------------------------------------------------------------------
# "embedded" (tantivy index in a local directory; chosen over SQLite FTS5 by measurement, see search/README.md)
# or "elasticsearch" (ELASTICSEARCH_URL).
SEARCH_BACKEND = env("SEARCH_BACKEND", "embedded")
ELASTICSEARCH_URL = env("ELASTICSEARCH_URL")
SEARCH_INDEX_PATH = Path(env("SEARCH_INDEX_PATH", str(VAR_DIR / "search")))
ELASTICSEARCH_INDEX_PREFIX = env("ELASTICSEARCH_INDEX_PREFIX", "eoffice")

# --- Signing --------------------------------------------------------------------------------------------------------
# The development PKI (root CA, intermediate, people's and agencies' certificates) lives here; it is created on
# first run. Production points SIGNING_TRUST_ROOTS at the real roots; validation never uses the OS trust store.
PKI_DIR = Path(env("PKI_DIR", str(VAR_DIR / "pki")))
SIGNING_TRUST_ROOTS = env_list("SIGNING_TRUST_ROOTS")  # PEM/DER files; empty = the development root in PKI_DIR
SIGNING_TSA_URL = env("SIGNING_TSA_URL")  # empty = the development TSA when it runs, else no timestamp (B-B)
SIGNING_DEV_SERVICES_PORT = int(env("SIGNING_DEV_SERVICES_PORT", "8765"))
# Production keys: a JSON file naming each agency seal's (and any server-side person's) key source, a PKCS#11
# token/HSM or a PKCS#12 file, PINs and passphrases read from environment variables it names (signing/keyring.py).
# Empty = the development PKI's key stores in PKI_DIR.
SIGNING_KEYS_FILE = env("SIGNING_KEYS_FILE")
# The issuing CA certificates (PEM/DER files) to complete a chain when a token gives only the holder's certificate;
# empty = the development PKI's intermediate.
SIGNING_CA_CHAIN = env_list("SIGNING_CA_CHAIN")
# Refuse to sign with an expired, revoked or untrusted certificate (checked with the CA's OCSP/CRL before signing).
SIGNING_PREFLIGHT = env_bool("SIGNING_PREFLIGHT", True)
# Where the web page finds the signing agent on the official's own computer (two-step signing with a USB token).
SIGNING_AGENT_URL = env("SIGNING_AGENT_URL", "http://127.0.0.1:8766")

# --- Documents, reminders ------------------------------------------------------------------------------------------
# Validate the signatures of incoming documents with revocation checks (OCSP/CRL of the issuing CA). Off only where
# the deployment cannot reach the CAs; then revocation is reported as not checked.
EOFFICE_VALIDATION_FETCH = env_bool("EOFFICE_VALIDATION_FETCH", True)
# Deadline reminders: work due within this many days is "due soon"; the daily job runs at this hour (Vietnam time).
EOFFICE_REMINDER_DAYS = int(env("EOFFICE_REMINDER_DAYS", "2"))
EOFFICE_REMINDER_HOUR = int(env("EOFFICE_REMINDER_HOUR", "7"))
# Absolute address of the site, for links in e-mails (e.g. https://vanban.binhminh.gov.vn).
EOFFICE_SITE_URL = env("EOFFICE_SITE_URL")

# --- E-mail ---------------------------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "eoffice@localhost")

# --- API ------------------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes unauthenticated API calls a proper 401.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "eoffice.api.exceptions.exception_handler",
    # Bounded JSON (size, nesting depth) and every text value in NFC: hostile bodies are a 400, never a 500.
    "DEFAULT_PARSER_CLASSES": [
        "eoffice.api.parsers.BoundedJSONParser",
        "eoffice.api.parsers.NFCFormParser",
        "eoffice.api.parsers.NFCMultiPartParser",
    ],
}
# --- Hostile input (issue 13): bounds applied before anything is stored ----------------------------------------------
EOFFICE_MAX_JSON_DEPTH = int(env("EOFFICE_MAX_JSON_DEPTH") or 32)
EOFFICE_MAX_JSON_BYTES = int(env("EOFFICE_MAX_JSON_BYTES") or 2 * 1024 * 1024)
# Free text without a column limit (reasons, comments, instructions, opinions); summaries have their own.
EOFFICE_MAX_TEXT = int(env("EOFFICE_MAX_TEXT") or 2000)
EOFFICE_MAX_SUMMARY = int(env("EOFFICE_MAX_SUMMARY") or 1000)
# Uploaded PDFs: refused when their streams decompress beyond both this ratio and this size (a "PDF bomb").
EOFFICE_PDF_MAX_INFLATE_RATIO = int(env("EOFFICE_PDF_MAX_INFLATE_RATIO") or 100)
EOFFICE_PDF_MAX_INFLATED_BYTES = int(env("EOFFICE_PDF_MAX_INFLATED_BYTES") or 50 * 1024 * 1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "eoffice API",
    "DESCRIPTION": "Hệ thống quản lý văn bản và điều hành — REST API v1",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: deployments are often on closed government networks.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security -------------------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Shared office PCs: a session lasts one working day at most and ends when the browser closes.
SESSION_COOKIE_AGE = int(env("DJANGO_SESSION_COOKIE_AGE") or 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Behind HTTPS (DJANGO_SECURE_COOKIES=1): redirect plain HTTP and tell browsers to stay on HTTPS (HSTS).
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS") or 31536000) if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SESSION_COOKIE_SECURE
# The TLS-terminating reverse proxy must set X-Forwarded-Proto (and strip a client's own), or the redirect loops.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SESSION_COOKIE_SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"  # our own pages embed our own PDFs (document preview iframes)
# W019: SAMEORIGIN is needed for the PDF previews above. W021: HSTS preload is a commitment of the agency's domain,
# the operator's decision, not the application's.
SILENCED_SYSTEM_CHECKS = ["security.W019", "security.W021"]
# Behind a reverse proxy in production, the client address comes from X-Forwarded-For (audit trail "from where").
EOFFICE_TRUST_X_FORWARDED_FOR = env_bool("EOFFICE_TRUST_X_FORWARDED_FOR", False)
# --- Audit trail (eoffice/audit): HMAC key outside the database, checkpoints outside it too ---------------------------
# AUDIT_HMAC_KEY empty: a key generated on first use into AUDIT_HMAC_KEY_FILE (default VAR_DIR/audit_hmac_key),
# for development only; AUDIT_HMAC_KEY_REQUIRED=1 (production) refuses to run without the key.
AUDIT_HMAC_KEY = env("AUDIT_HMAC_KEY")
AUDIT_HMAC_KEY_FILE = env("AUDIT_HMAC_KEY_FILE")
AUDIT_HMAC_KEY_REQUIRED = env_bool("AUDIT_HMAC_KEY_REQUIRED", False)
AUDIT_ANCHOR_PATH = env("AUDIT_ANCHOR_PATH")  # default VAR_DIR/audit-anchors.jsonl; production: another volume
AUDIT_ANCHOR_INTERVAL_MINUTES = int(env("AUDIT_ANCHOR_INTERVAL_MINUTES") or 60)  # 0: no beat entry

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}

# --- Interconnection (liên thông edXML) -----------------------------------------------------------------------------
# The endpoint /lien-thong/edxml/ where configured peers POST messages (and .../trang-thai/ for status messages).
EDXML_ENDPOINT_ENABLED = env_bool("EDXML_ENDPOINT_ENABLED", True)
EDXML_MAX_MESSAGE_BYTES = int(env("EDXML_MAX_MESSAGE_BYTES", str(64 * 1024 * 1024)))
EDXML_MAX_ATTACHMENT_BYTES = int(env("EDXML_MAX_ATTACHMENT_BYTES", str(40 * 1024 * 1024)))
EDXML_MAX_ATTACHMENTS = int(env("EDXML_MAX_ATTACHMENTS", "50"))
# Sending: retries with exponential backoff (first delay in seconds, doubling, capped), then the message is failed.
EDXML_RETRY_BACKOFF = int(env("EDXML_RETRY_BACKOFF", "30"))
EDXML_RETRY_BACKOFF_MAX = int(env("EDXML_RETRY_BACKOFF_MAX", "3600"))
EDXML_MAX_RETRIES = int(env("EDXML_MAX_RETRIES", "12"))
EDXML_HTTP_TIMEOUT = int(env("EDXML_HTTP_TIMEOUT", "60"))
# The agency (code) that signs refusals of messages naming none of ours; empty = the first top-level agency.
EDXML_DEFAULT_AGENCY = env("EDXML_DEFAULT_AGENCY")
# Requests per source address and window on /lien-thong/edxml/ (both endpoints together); beyond: 429 + Retry-After.
EDXML_RATE_LIMIT_REQUESTS = int(env("EDXML_RATE_LIMIT_REQUESTS") or 120)
EDXML_RATE_LIMIT_WINDOW = int(env("EDXML_RATE_LIMIT_WINDOW") or 60)  # seconds
