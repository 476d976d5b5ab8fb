"""Sign-in events go to the audit trail."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .services import record


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    record("auth.login", actor=user, request=request)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        record("auth.logout", actor=user, request=request)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Never the password: only the name that was tried.
    record("auth.login_failed", request=request, data={"username": str(credentials.get("username", ""))[:150]})
