"""Which key signs for which person and which agency: the bridge between the organisation model and ``signing``.

Subject keys: a person's username; ``seal:<code>`` for an agency's seal. The signing library finds the key source
of a subject key (:func:`signing.keyring.key_source`: ``settings.SIGNING_KEYS_FILE`` in production, the
development PKI of ``settings.PKI_DIR`` in the embedded mode); this module names the subject keys of people and
agencies, turns a missing key into a message for the user, and creates the development keys of every person and
agency (``manage.py ensure_dev_pki``).
"""

from __future__ import annotations

from collections.abc import Iterable

from signing.keyring import dev_pki, key_source
from signing.keys import KeySource, KeyStoreError
from signing.pki import Subject


def seal_key(agency) -> str:
    """The subject key of ``agency``'s seal."""
    return f"seal:{agency.code}"


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
    """The key ``person`` signs with on the server; :class:`KeyStoreError` (Vietnamese message) when none."""
    try:
        return key_source(person.username)
    except KeyError as exc:
        raise KeyStoreError(f"Chưa có khóa ký số cho {person.get_full_name()}.") from exc
    except KeyStoreError as exc:
        raise KeyStoreError(f"Chưa có khóa ký số cho {person.get_full_name()}: {exc}") from exc


def seal_key_source(agency) -> KeySource:
    """The key of ``agency``'s seal; :class:`KeyStoreError` (Vietnamese message) when none."""
    key = seal_key(agency)
    try:
        return key_source(key)
    except KeyError as exc:
        raise KeyStoreError(f"Chưa có khóa đóng dấu của {agency.name}.") from exc
    except KeyStoreError as exc:
        raise KeyStoreError(f"Chưa có khóa đóng dấu của {agency.name}: {exc}") from exc
