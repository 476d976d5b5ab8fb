"""Small builders for test data (plain functions: the org model is simple enough not to need a factory library)."""

from __future__ import annotations

import itertools

from eoffice.orgs.models import Agency, AgencyKind, Person, Unit, ensure_roles

_counter = itertools.count(1)


def make_agency(name: str = "Sở Thử nghiệm", abbreviation: str = "STN", parent: Agency | None = None, **extra) -> Agency:
    n = next(_counter)
    extra.setdefault("kind", AgencyKind.DEPARTMENT)
    return Agency.objects.create(
        code=extra.pop("code", f"000.00.{n % 100:02d}.T{n % 100:02d}"),
        name=f"{name} {n}",
        abbreviation=abbreviation,
        parent=parent,
        **extra,
    )


def make_unit(agency: Agency, abbreviation: str = "VP", name: str = "Văn phòng") -> Unit:
    return Unit.objects.create(agency=agency, abbreviation=abbreviation, name=name)


def make_person(agency: Agency | None, *roles: str, unit: Unit | None = None, password: str = "pw", **extra) -> Person:
    n = next(_counter)
    person = Person.objects.create_user(
        username=extra.pop("username", f"user{n}"),
        password=password,
        full_name=extra.pop("full_name", f"Nguyễn Văn Thử {n}"),
        agency=agency,
        unit=unit,
        **extra,
    )
    if roles:
        available = ensure_roles()
        person.roles.set([available[code] for code in roles])
    return person
