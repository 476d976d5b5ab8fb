"""System checks of the audit trail."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def audit_key_configured(app_configs, **kwargs):
    if (getattr(settings, "AUDIT_HMAC_KEY", "") or "").strip():
        return []
    return [Error(
        "AUDIT_HMAC_KEY is empty: in production the audit trail's key must come from outside the database "
        "(the generated development key file sits next to it).",
        hint="Set the AUDIT_HMAC_KEY environment variable (a long random string) and AUDIT_HMAC_KEY_REQUIRED=1.",
        id="audit.E001",
    )]
