"""Signing tests sign with the session's development PKI: the product must trust it like a configured root.

Every signing path checks the certificate before signing (:mod:`signing.preflight`), against
``settings.SIGNING_TRUST_ROOTS`` and with the CA's loopback OCSP/CRL. This points those settings at the session PKI
for each test module (module scope, so that the modules' own module-scoped fixtures that sign see it too, and so
that nothing leaks into other test directories).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from signing.pki import DevPKI


@pytest.fixture(scope="module", autouse=True)
def _product_trusts_the_session_pki(dev_pki: DevPKI) -> Iterator[None]:
    with override_settings(PKI_DIR=dev_pki.directory, SIGNING_TRUST_ROOTS=[str(dev_pki.root_cert_path)]):
        yield
