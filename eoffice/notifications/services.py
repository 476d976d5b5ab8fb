"""In-app notifications (thông báo), a low layer any app may use.

- :func:`notify` stores one in-app notification and e-mails it (after commit), idempotent on its ``key``. It is
  THE rule for what a notification may say about a document: the caller names the document (``about``); a
  recipient who may not see it (``eoffice.orgs.scoping.can_see``) is told nothing, and the e-mail about a secret
  document (mật, tối mật, tuyệt mật) never carries its number or summary: it says there is secret work and links
  to it (the in-app text, behind the login, keeps the details for the person named on it).
- :func:`mark_read`, :func:`mark_all_read`, :func:`unread_count`: the bell and the list page.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from eoffice.core.errors import DomainError
from eoffice.orgs.scoping import can_see

from .models import Notification

logger = logging.getLogger(__name__)

#: What the e-mail about a secret document says instead of the notification's text.
SECRET_EMAIL_TEXT = ("Bạn có công việc liên quan đến văn bản mật trên hệ thống. Nội dung văn bản mật không gửi qua "
                     "thư điện tử: vui lòng đăng nhập để xem.")
SECRET_EMAIL_SUBJECT = "[eoffice] Bạn có công việc liên quan đến văn bản mật"


def notify(recipient, *, about, text: str, link: str = "", key: str, email: bool = True) -> Notification | None:
    """Store a notification for ``recipient`` unless one with the same ``key`` exists; e-mail it after commit.

    ``about``: the document (any model with a scoping rule and an ``is_secret`` attribute) the text speaks of, or
    None for a notification about no document. A recipient who may not see ``about`` gets nothing; for a secret
    document the e-mail carries only :data:`SECRET_EMAIL_TEXT` and the link.
    Returns the new notification, or ``None`` when it had already been sent or may not be sent (nothing happens
    then).
    """
    secret = False
    if about is not None:
        if not can_see(about, recipient):
            return None
        secret = bool(about.is_secret)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(recipient=recipient, text=text, link=link, key=key[:200])
    except IntegrityError:
        return None
    if email and recipient.email:
        transaction.on_commit(lambda: _email(notification.pk, secret=secret))
    return notification


def _email(notification_id: int, *, secret: bool = False) -> None:
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    base = getattr(settings, "EOFFICE_SITE_URL", "").rstrip("/")
    text = SECRET_EMAIL_TEXT if secret else notification.text
    subject = SECRET_EMAIL_SUBJECT if secret else f"[eoffice] {notification.text[:120]}"
    body = text
    if notification.link:
        body += f"\n\nXem chi tiết: {base}{notification.link}"
    body += "\n\n-- \nHệ thống quản lý văn bản và điều hành (eoffice). Thư gửi tự động, vui lòng không trả lời."
    try:
        send_mail(subject=subject, message=body,
                  from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[notification.recipient.email])
    except Exception:  # the in-app notification stands; a mail server outage is logged, not fatal
        logger.exception("Could not e-mail notification %s", notification_id)
        return
    Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())


def unread_count(person) -> int:
    if not getattr(person, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=person.pk, read_at__isnull=True).count()


def mark_read(notification: Notification, person) -> None:
    if notification.recipient_id != person.pk:
        raise DomainError("Thông báo này không phải của bạn.", code="permission_denied", status_code=403)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())


def mark_all_read(person) -> int:
    return Notification.objects.filter(recipient_id=person.pk, read_at__isnull=True).update(read_at=timezone.now())
