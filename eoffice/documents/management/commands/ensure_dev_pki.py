from django.core.management.base import BaseCommand

from eoffice.documents.keyring import ensure_dev_keys
from signing.keyring import dev_pki


class Command(BaseCommand):
    help = "Create the development PKI (root, intermediate, CRL/OCSP/TSA keys) and a key for every person and agency."

    def handle(self, *args, **options):
        count = ensure_dev_keys()
        pki = dev_pki()
        self.stdout.write(f"Development PKI ready in {pki.directory}: {count} people and seals; root {pki.root_cert_path}")
