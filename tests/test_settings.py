"""Settings come from the environment, with working embedded defaults and no secret in the repository."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = """
import json, django
from django.conf import settings
print(json.dumps({
    "db_engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": settings.DATABASES["default"]["NAME"],
    "db_host": settings.DATABASES["default"].get("HOST", ""),
    "broker": settings.CELERY_BROKER_URL,
    "search_backend": settings.SEARCH_BACKEND,
    "elasticsearch_url": settings.ELASTICSEARCH_URL,
    "storage": settings.STORAGES["default"]["BACKEND"],
    "media_root": str(settings.MEDIA_ROOT),
    "language": settings.LANGUAGE_CODE,
    "time_zone": settings.TIME_ZONE,
    "secret_key": settings.SECRET_KEY,
    "debug": settings.DEBUG,
    "allowed_hosts": settings.ALLOWED_HOSTS,
}))
"""

CONFIG_VARS = (
    "DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "SEARCH_BACKEND", "ELASTICSEARCH_URL",
    "STORAGE_BACKEND", "MEDIA_ROOT", "LANGUAGE_CODE", "TIME_ZONE", "DJANGO_SECRET_KEY", "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS", "EOFFICE_VAR_DIR",
)


def read_settings(tmp_path, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    clean.update({"DJANGO_SETTINGS_MODULE": "eoffice.settings", "EOFFICE_VAR_DIR": str(tmp_path / "var")})
    clean.update(env)
    out = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, env=clean, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_embedded_defaults_without_any_environment(tmp_path):
    values = read_settings(tmp_path)
    assert values["db_engine"] == "django.db.backends.sqlite3"
    assert values["db_name"] == str(tmp_path / "var" / "eoffice.sqlite3")
    assert values["broker"] == f"sqla+sqlite:///{tmp_path / 'var' / 'celery-broker.sqlite3'}"
    assert values["search_backend"] == "embedded"
    assert values["storage"] == "django.core.files.storage.FileSystemStorage"
    assert values["language"] == "vi"
    assert values["time_zone"] == "Asia/Ho_Chi_Minh"
    assert values["debug"] is False


def test_production_values_come_from_the_environment(tmp_path):
    values = read_settings(
        tmp_path,
        DATABASE_URL="postgres://eoffice:secret@db.internal:5432/eoffice",
        CELERY_BROKER_URL="redis://redis:6379/0",
        SEARCH_BACKEND="elasticsearch",
        ELASTICSEARCH_URL="http://elasticsearch:9200",
        STORAGE_BACKEND="storages.backends.s3.S3Storage",
        MEDIA_ROOT="/srv/media",
        LANGUAGE_CODE="en",
        DJANGO_SECRET_KEY="from-the-environment",
        DJANGO_ALLOWED_HOSTS="vanban.binhminh.gov.vn",
    )
    assert values["db_engine"] == "django.db.backends.postgresql"
    assert (values["db_host"], values["db_name"]) == ("db.internal", "eoffice")
    assert values["broker"] == "redis://redis:6379/0"
    assert values["search_backend"] == "elasticsearch"
    assert values["elasticsearch_url"] == "http://elasticsearch:9200"
    assert values["storage"] == "storages.backends.s3.S3Storage"
    assert values["media_root"] == "/srv/media"
    assert values["language"] == "en"
    assert values["secret_key"] == "from-the-environment"
    assert values["allowed_hosts"] == ["vanban.binhminh.gov.vn"]


def test_secret_key_is_generated_once_into_a_private_file(tmp_path):
    first = read_settings(tmp_path)["secret_key"]
    second = read_settings(tmp_path)["secret_key"]
    key_file = tmp_path / "var" / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) >= 50
    assert key_file.stat().st_mode & 0o077 == 0


def test_local_state_is_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "var/" in ignored and ".venv/" in ignored
