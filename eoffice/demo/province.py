"""The demo province: Tỉnh Bình Minh, a fictional province laid out like a real one.

A province committee, four departments, two district committees and three commune committees, units in each, and
people for every role. Loading is idempotent: each row is found by its natural key (agency code, unit abbreviation,
username) and brought to the state described here; running it twice changes nothing.

Every demo login shares one password, :data:`DEMO_PASSWORD`, printed by ``make run`` and written in the README.
It is for demonstrations only; never load the demo into a production database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from eoffice.orgs.models import Agency, AgencyKind, Person, Position, RoleCode, Unit, ensure_roles

DEMO_PASSWORD = "eoffice-demo"
PROVINCE = "Bình Minh"
ADMIN_GROUP = "Quản trị cơ quan"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    full_name: str
    position: str
    unit: str | None
    roles: tuple[str, ...]


@dataclass(frozen=True)
class DemoAgency:
    code: str
    name: str
    abbreviation: str
    kind: str
    parent: str | None
    place_name: str
    units: tuple[tuple[str, str], ...]
    people: tuple[DemoPerson, ...] = field(default=())


C, L, D, H, S, A, ADM = (
    RoleCode.CLERK,
    RoleCode.LEADER,
    RoleCode.DEPUTY_LEADER,
    RoleCode.UNIT_HEAD,
    RoleCode.SPECIALIST,
    RoleCode.ARCHIVIST,
    RoleCode.ADMIN,
)


def _department(code: str, name: str, abbr: str, slug: str, units, names: list[str]) -> DemoAgency:
    """A department (sở) with a director, a deputy, a unit head, two specialists, a clerk, an archivist, an admin."""
    main_unit = units[1][0]
    people = (
        DemoPerson(f"giamdoc.{slug}", names[0], "Giám đốc", None, (L,)),
        DemoPerson(f"phogiamdoc.{slug}", names[1], "Phó Giám đốc", None, (D,)),
        DemoPerson(f"chanhvanphong.{slug}", names[2], "Chánh Văn phòng", "VP", (H,)),
        DemoPerson(f"truongphong.{slug}", names[3], "Trưởng phòng", main_unit, (H,)),
        DemoPerson(f"chuyenvien.{slug}", names[4], "Chuyên viên", main_unit, (S,)),
        DemoPerson(f"chuyenvien2.{slug}", names[5], "Chuyên viên", main_unit, (S,)),
        DemoPerson(f"vanthu.{slug}", names[6], "Văn thư", "VP", (C,)),
        DemoPerson(f"luutru.{slug}", names[7], "Lưu trữ viên", "VP", (A,)),
        DemoPerson(f"quantri.{slug}", names[8], "Chuyên viên", "VP", (ADM, S)),
    )
    return DemoAgency(code, name, abbr, AgencyKind.DEPARTMENT, "000.00.00.H99", PROVINCE, units, people)


AGENCIES: tuple[DemoAgency, ...] = (
    DemoAgency(
        "000.00.00.H99",
        f"Ủy ban nhân dân tỉnh {PROVINCE}",
        "UBND",
        AgencyKind.PROVINCE,
        None,
        PROVINCE,
        (("VP", "Văn phòng"), ("KT", "Phòng Kinh tế"), ("TH", "Phòng Tổng hợp"), ("NC", "Phòng Nội chính")),
        (
            DemoPerson("chutich.tinh", "Trần Quốc Hưng", "Chủ tịch", None, (L,)),
            DemoPerson("phochutich.tinh", "Lê Thị Thu Hà", "Phó Chủ tịch", None, (D,)),
            DemoPerson("chanhvanphong.tinh", "Phạm Văn Đức", "Chánh Văn phòng", "VP", (H,)),
            DemoPerson("truongphong.tinh", "Ngô Minh Tuấn", "Trưởng phòng", "TH", (H,)),
            DemoPerson("chuyenvien.tinh", "Đỗ Thị Lan Anh", "Chuyên viên", "TH", (S,)),
            DemoPerson("vanthu.tinh", "Nguyễn Thị Hồng", "Văn thư", "VP", (C,)),
            DemoPerson("luutru.tinh", "Vũ Thị Mai", "Lưu trữ viên", "VP", (A,)),
            DemoPerson("quantri.tinh", "Hoàng Văn Nam", "Chuyên viên", "VP", (ADM, S)),
        ),
    ),
    _department(
        "000.00.05.H99",
        f"Sở Tư pháp tỉnh {PROVINCE}",
        "STP",
        "stp",
        (("VP", "Văn phòng"), ("PBGDPL", "Phòng Phổ biến, giáo dục pháp luật"), ("HCTP", "Phòng Hành chính tư pháp")),
        [
            "Nguyễn Văn An",
            "Bùi Thị Thanh Hương",
            "Trịnh Văn Long",
            "Đặng Thị Ngọc Bích",
            "Lê Văn Bình",
            "Phan Thị Thủy",
            "Cao Thị Dung",
            "Đinh Văn Khánh",
            "Lương Văn Phúc",
        ],
    ),
    _department(
        "000.00.06.H99",
        f"Sở Nội vụ tỉnh {PROVINCE}",
        "SNV",
        "snv",
        (("VP", "Văn phòng"), ("CCHC", "Phòng Cải cách hành chính"), ("TCBC", "Phòng Tổ chức, biên chế")),
        [
            "Hà Văn Thắng",
            "Tạ Thị Kim Oanh",
            "Mai Văn Sơn",
            "Lý Thị Hạnh",
            "Kiều Văn Đạt",
            "Chu Thị Yến",
            "Đoàn Thị Nga",
            "Tô Văn Hải",
            "Quách Văn Tài",
        ],
    ),
    _department(
        "000.00.10.H99",
        f"Sở Thông tin và Truyền thông tỉnh {PROVINCE}",
        "STTTT",
        "stttt",
        (("VP", "Văn phòng"), ("CNTT", "Phòng Công nghệ thông tin"), ("BCVT", "Phòng Bưu chính, viễn thông")),
        [
            "Vương Đình Khoa",
            "Nghiêm Thị Hoa",
            "Lâm Văn Quang",
            "Triệu Thị Linh",
            "Thái Văn Minh",
            "Hồ Thị Phương",
            "Dương Thị Loan",
            "Âu Văn Tú",
            "Giang Văn Hiếu",
        ],
    ),
    _department(
        "000.00.12.H99",
        f"Sở Kế hoạch và Đầu tư tỉnh {PROVINCE}",
        "SKHĐT",
        "skhdt",
        (("VP", "Văn phòng"), ("TH", "Phòng Tổng hợp, quy hoạch"), ("ĐKKD", "Phòng Đăng ký kinh doanh")),
        [
            "Phùng Văn Lực",
            "Mạc Thị Diệu",
            "Văn Đình Toàn",
            "Nông Thị Huyền",
            "La Văn Công",
            "Khúc Thị Ánh",
            "Ông Thị Tâm",
            "Lục Văn Thành",
            "Doãn Văn Hòa",
        ],
    ),
    DemoAgency(
        "000.00.21.H99",
        "Ủy ban nhân dân huyện Đông Sơn",
        "UBND",
        AgencyKind.DISTRICT,
        "000.00.00.H99",
        "Đông Sơn",
        (("VP", "Văn phòng HĐND và UBND"), ("NV", "Phòng Nội vụ"), ("TP", "Phòng Tư pháp")),
        (
            DemoPerson("chutich.dongson", "Lê Hữu Thọ", "Chủ tịch", None, (L,)),
            DemoPerson("phochutich.dongson", "Nguyễn Thị Xuân", "Phó Chủ tịch", None, (D,)),
            DemoPerson("chanhvanphong.dongson", "Trần Văn Quý", "Chánh Văn phòng", "VP", (H,)),
            DemoPerson("truongphong.dongson", "Phạm Thị Nhung", "Trưởng phòng", "NV", (H,)),
            DemoPerson("chuyenvien.dongson", "Hoàng Văn Lâm", "Chuyên viên", "NV", (S,)),
            DemoPerson("vanthu.dongson", "Vũ Thị Hằng", "Văn thư", "VP", (C,)),
            DemoPerson("luutru.dongson", "Đỗ Văn Tiến", "Lưu trữ viên", "VP", (A,)),
            DemoPerson("quantri.dongson", "Bùi Văn Hậu", "Chuyên viên", "VP", (ADM, S)),
        ),
    ),
    DemoAgency(
        "000.00.22.H99",
        "Ủy ban nhân dân huyện Tây Hòa",
        "UBND",
        AgencyKind.DISTRICT,
        "000.00.00.H99",
        "Tây Hòa",
        (("VP", "Văn phòng HĐND và UBND"), ("NV", "Phòng Nội vụ"), ("TCKH", "Phòng Tài chính - Kế hoạch")),
        (
            DemoPerson("chutich.tayhoa", "Đinh Công Tráng", "Chủ tịch", None, (L,)),
            DemoPerson("phochutich.tayhoa", "Lưu Thị Hoài", "Phó Chủ tịch", None, (D,)),
            DemoPerson("chanhvanphong.tayhoa", "Ninh Văn Chiến", "Chánh Văn phòng", "VP", (H,)),
            DemoPerson("truongphong.tayhoa", "Trương Thị Vân", "Trưởng phòng", "TCKH", (H,)),
            DemoPerson("chuyenvien.tayhoa", "Tăng Văn Huy", "Chuyên viên", "TCKH", (S,)),
            DemoPerson("vanthu.tayhoa", "Kim Thị Hiền", "Văn thư", "VP", (C,)),
            DemoPerson("luutru.tayhoa", "Sầm Văn Lợi", "Lưu trữ viên", "VP", (A,)),
            DemoPerson("quantri.tayhoa", "Hứa Văn Kiên", "Chuyên viên", "VP", (ADM, S)),
        ),
    ),
    *(
        DemoAgency(
            code,
            f"Ủy ban nhân dân xã {commune}",
            "UBND",
            AgencyKind.COMMUNE,
            parent,
            commune,
            (("VP", "Văn phòng - Thống kê"), ("TPHT", "Tư pháp - Hộ tịch")),
            (
                DemoPerson(f"chutich.{slug}", chair, "Chủ tịch", None, (L,)),
                DemoPerson(f"vanthu.{slug}", clerk, "Văn thư", "VP", (C, A, ADM)),
                DemoPerson(f"congchuc.{slug}", official, "Công chức", "TPHT", (H, S)),
            ),
        )
        for code, commune, slug, parent, chair, clerk, official in (
            ("000.01.21.H99", "Đông Hải", "donghai", "000.00.21.H99", "Nguyễn Văn Hải", "Lê Thị Hoa", "Trần Văn Tâm"),
            ("000.02.21.H99", "Đông Lâm", "donglam", "000.00.21.H99", "Phạm Văn Lâm", "Võ Thị Thơm", "Hồ Văn Phong"),
            ("000.01.22.H99", "Tây Phú", "tayphu", "000.00.22.H99", "Đặng Văn Phú", "Mai Thị Lụa", "Lý Văn Hùng"),
        )
    ),
)

# The deployment's operator (superuser): sees and manages everything, belongs to no agency.
OPERATOR = DemoPerson("vanhanh", "Quản trị vận hành hệ thống", "Chuyên viên", None, ())

# The logins shown by `make run` and in the README: one per role, all in Sở Tư pháp unless noted.
SHOWCASE_LOGINS: tuple[tuple[str, str], ...] = (
    ("vanthu.stp", "Văn thư — Sở Tư pháp"),
    ("giamdoc.stp", "Lãnh đạo (Giám đốc) — Sở Tư pháp"),
    ("phogiamdoc.stp", "Phó lãnh đạo (Phó Giám đốc) — Sở Tư pháp"),
    ("truongphong.stp", "Trưởng phòng — Sở Tư pháp"),
    ("chuyenvien.stp", "Chuyên viên — Sở Tư pháp"),
    ("luutru.stp", "Lưu trữ — Sở Tư pháp"),
    ("quantri.stp", "Quản trị cơ quan — Sở Tư pháp"),
    ("vanthu.tinh", "Văn thư — UBND tỉnh"),
    ("chutich.tinh", "Chủ tịch — UBND tỉnh"),
    ("vanthu.dongson", "Văn thư — UBND huyện Đông Sơn"),
    ("vanhanh", "Vận hành toàn hệ thống (superuser)"),
)

ADMIN_GROUP_PERMISSIONS = {
    "orgs": {
        "unit": ("add", "change", "delete", "view"),
        "person": ("add", "change", "view"),
        "delegation": ("add", "change", "delete", "view"),
        "agency": ("view",),
        "position": ("view",),
        "role": ("view",),
    },
    "audit": {"auditrecord": ("view",)},
}


@transaction.atomic
def load_demo() -> dict[str, int]:
    """Create or bring up to date the demo province. Returns how many rows were created, per kind."""
    created = {"agencies": 0, "units": 0, "people": 0}
    roles = ensure_roles()
    positions = {position.name: position for position in Position.objects.all()}
    admin_group = _admin_group()
    password_hash = None  # computed once: hashing ~70 passwords one by one would take a minute
    agencies: dict[str, Agency] = {}

    for spec in AGENCIES:
        agency, was_created = Agency.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "abbreviation": spec.abbreviation,
                "kind": spec.kind,
                "parent": agencies.get(spec.parent) if spec.parent else None,
                "place_name": spec.place_name,
                "is_active": True,
            },
        )
        created["agencies"] += was_created
        agencies[spec.code] = agency
        units: dict[str, Unit] = {}
        for abbreviation, name in spec.units:
            unit, was_created = Unit.objects.update_or_create(
                agency=agency, abbreviation=abbreviation, defaults={"name": name, "is_active": True}
            )
            created["units"] += was_created
            units[abbreviation] = unit
        for spec_person in spec.people:
            person, was_created = _upsert_person(spec_person, agency, units, positions)
            if was_created:
                password_hash = password_hash or make_password(DEMO_PASSWORD)
                person.password = password_hash
                person.save(update_fields=["password"])
                created["people"] += 1
            wanted = {roles[code] for code in spec_person.roles}
            if set(person.roles.all()) != wanted:
                person.roles.set(wanted)
            if RoleCode.ADMIN in spec_person.roles and not person.groups.filter(pk=admin_group.pk).exists():
                person.groups.add(admin_group)

    operator, was_created = Person.objects.update_or_create(
        username=OPERATOR.username,
        defaults={"full_name": OPERATOR.full_name, "is_staff": True, "is_superuser": True, "is_active": True},
    )
    if was_created:
        operator.password = password_hash or make_password(DEMO_PASSWORD)
        operator.save(update_fields=["password"])
        created["people"] += 1
    return created


def _upsert_person(spec: DemoPerson, agency: Agency, units: dict[str, Unit], positions) -> tuple[Person, bool]:
    defaults = {
        "full_name": spec.full_name,
        "agency": agency,
        "unit": units.get(spec.unit) if spec.unit else None,
        "position": positions.get(spec.position) or Position.objects.get_or_create(name=spec.position)[0],
        "email": f"{spec.username}@binhminh.gov.vn",
        "is_active": True,
        "is_staff": RoleCode.ADMIN in spec.roles,
    }
    try:
        person = Person.objects.get(username=spec.username)
    except Person.DoesNotExist:
        return Person.objects.create(username=spec.username, **defaults), True
    changed = [name for name, value in defaults.items() if getattr(person, name) != value]
    if changed:
        for name in changed:
            setattr(person, name, defaults[name])
        person.save(update_fields=changed)
    return person, False


def _admin_group() -> Group:
    group, _ = Group.objects.get_or_create(name=ADMIN_GROUP)
    wanted = Q(pk__in=[])
    for app_label, models in ADMIN_GROUP_PERMISSIONS.items():
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            wanted |= Q(content_type__app_label=app_label, content_type__model=model, codename__in=codenames)
    perms = Permission.objects.filter(wanted)
    if set(group.permissions.all()) != set(perms):
        group.permissions.set(perms)
    return group
