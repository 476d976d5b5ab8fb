"""Session and transport security: sane defaults in development, HTTPS hardening with DJANGO_SECURE_COOKIES=1."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRINT = """
import json, django
from django.conf import settings
print(json.dumps({k: getattr(settings, k) for k in (
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_AGE", "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER")}))
"""


def read(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"DJANGO_SETTINGS_MODULE": "eoffice.settings", "EOFFICE_VAR_DIR": str(tmp_path / "var"), **extra})
    out = subprocess.run([sys.executable, "-c", PRINT], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_sessions_last_one_working_day_and_end_with_the_browser(tmp_path):
    s = read(tmp_path)
    assert s["SESSION_COOKIE_AGE"] == 8 * 3600
    assert s["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert s["SECURE_SSL_REDIRECT"] is False and s["SECURE_HSTS_SECONDS"] == 0


def test_secure_cookies_turn_on_ssl_redirect_and_hsts(tmp_path):
    s = read(tmp_path, DJANGO_SECURE_COOKIES="1")
    assert s["SESSION_COOKIE_SECURE"] is True and s["CSRF_COOKIE_SECURE"] is True
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 31536000
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
