"""Where the product finds people's and agencies' keys: the bridge between the organisation model and `signing`.

In the embedded mode every person and every agency seal has a software key store in the development PKI
(``settings.PKI_DIR``), created by ``manage.py ensure_dev_pki``. Subject keys: a person's username; ``seal:<code>`` for an
agency's seal. Production deployments with tokens or HSMs resolve their PKCS#11 sources here instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from .keys import KeySource, KeyStoreError, SoftwareKeyStore
from .pki import DevPKI, Subject


def seal_key(agency) -> str:
    return f"seal:{agency.code}"


def dev_pki() -> DevPKI:
    return DevPKI(Path(settings.PKI_DIR), services_url=f"http://127.0.0.1:{settings.SIGNING_DEV_SERVICES_PORT}")


def subjects_for(people: Iterable, agencies: Iterable) -> list[Subject]:
    """One subject per person who belongs to an agency, and one seal per agency."""
    subjects = [
        Subject(
            key=person.username,
            common_name=person.get_full_name(),
            organization=person.agency.name,
            kind="person",
            email=person.email or None,
            title=str(person.position) if person.position_id else None,
        )
        for person in people
        if person.agency_id
    ]
    subjects += [
        Subject(key=seal_key(agency), common_name=agency.name, organization=agency.name, kind="seal")
        for agency in agencies
    ]
    return subjects


def ensure_dev_keys() -> int:
    """Create the development PKI and a key for every person and agency that lacks one; returns the subject count."""
    from eoffice.orgs.models import Agency, Person

    people = Person.objects.filter(agency__isnull=False, is_active=True).select_related("agency", "position")
    subjects = subjects_for(people, Agency.objects.filter(is_active=True))
    dev_pki().ensure(subjects)
    return len(subjects)


def person_key_source(person) -> KeySource:
    pki = dev_pki()
    try:
        return SoftwareKeyStore(pki.key_store_path(person.username), pki.key_store_passphrase(person.username))
    except KeyError as exc:
        raise KeyStoreError(f"Chưa có khóa ký số cho {person.get_full_name()}.") from exc


def seal_key_source(agency) -> KeySource:
    pki = dev_pki()
    key = seal_key(agency)
    try:
        return SoftwareKeyStore(pki.key_store_path(key), pki.key_store_passphrase(key))
    except KeyError as exc:
        raise KeyStoreError(f"Chưa có khóa đóng dấu của {agency.name}.") from exc
