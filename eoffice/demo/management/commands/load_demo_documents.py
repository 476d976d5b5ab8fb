"""``python manage.py load_demo_documents``: documents in every state for the demo province (see
:mod:`eoffice.demo.documents`). Run after ``load_demo``. Idempotent: a second run creates nothing.

Signing checks revocation with the development PKI's OCSP/CRL first. ``make run`` serves them on
``settings.SIGNING_DEV_SERVICES_PORT``; when nothing listens there, the command serves them itself for its
duration, as ``make_samples`` does.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from eoffice.demo.documents import SHOWCASE_AGENCY, load_demo_documents
from eoffice.orgs.models import Agency


class Command(BaseCommand):
    help = ("Nạp văn bản mẫu cho tỉnh mẫu (văn bản đến, văn bản đi, hồ sơ) qua các nghiệp vụ thật. "
            "Chạy sau load_demo; chạy lại không tạo thêm gì.")

    def handle(self, *args, **options) -> None:
        from eoffice.documents.keyring import ensure_dev_keys
        from signing.dev.services import DevServices, is_listening
        from signing.keyring import dev_pki

        if not Agency.objects.filter(code=SHOWCASE_AGENCY).exists():
            raise CommandError("Chưa có tỉnh mẫu: hãy chạy 'python manage.py load_demo' trước.")
        started = time.monotonic()
        if options.get("verbosity", 1) < 2:
            # pyHanko logs every OCSP/CRL fetch at INFO: dozens of lines that tell a person trying the product nothing.
            for name in ("pyhanko", "pyhanko_certvalidator"):
                logging.getLogger(name).setLevel(logging.WARNING)
        ensure_dev_keys()
        port = settings.SIGNING_DEV_SERVICES_PORT
        services = None
        if not is_listening(port):
            services = DevServices(dev_pki(), port=port)
            try:
                services.start()
            except OSError:  # the PKI services process bound the port meanwhile: use it
                services = None
        try:
            created = load_demo_documents()
        finally:
            if services is not None:
                services.stop()
        self.stdout.write(
            "Demo documents: {incoming} incoming, {outgoing} outgoing, {files} file(s) created "
            "(0 means they were already there) in {seconds:.1f}s.".format(
                seconds=time.monotonic() - started, **created)
        )
