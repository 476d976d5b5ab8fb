"""The organisation model: agencies in a tree, their units, positions, people with roles, and delegation.

One deployment serves a whole province: the provincial People's Committee, its departments and district committees,
and the commune committees under the districts. Each of them is an :class:`Agency` with its own units, registers,
numbering and seal. People belong to one agency and (usually) one unit, and hold one or more roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eoffice.core.text import nfc

# Identifier codes of agencies for document exchange (Decision 20/2020/QĐ-TTg), e.g. 000.00.00.G22 or 000.01.21.H99.
agency_code_validator = RegexValidator(
    r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[0-9A-Z]{3}$",
    _("Mã định danh phải có dạng 000.00.00.G22."),
)
abbreviation_validator = RegexValidator(
    r"^[0-9A-ZĐ]+(-[0-9A-ZĐ]+)*$",
    _("Chữ viết tắt chỉ gồm chữ in hoa, chữ số và dấu gạch ngang, ví dụ UBND, STP, VP."),
)


class AgencyKind(models.TextChoices):
    PROVINCE = "province", _("UBND tỉnh")
    DEPARTMENT = "department", _("Sở, ban, ngành")
    DISTRICT = "district", _("UBND huyện")
    COMMUNE = "commune", _("UBND xã")
    OTHER = "other", _("Cơ quan khác")


# Usual diameters of round agency seals by kind of agency, for an agency whose seal has not been measured.
SEAL_SIZES_MM = {
    AgencyKind.PROVINCE: 42.0, AgencyKind.DISTRICT: 40.0, AgencyKind.DEPARTMENT: 38.0, AgencyKind.COMMUNE: 36.0,
    AgencyKind.OTHER: 38.0,
}


class Agency(models.Model):
    """An agency (cơ quan): it has its own registers, number series, seal and people."""

    code = models.CharField(_("mã định danh"), max_length=13, unique=True, validators=[agency_code_validator])
    name = models.CharField(_("tên cơ quan"), max_length=255)
    abbreviation = models.CharField(
        _("chữ viết tắt"), max_length=20, validators=[abbreviation_validator], help_text=_("Ví dụ: UBND, STP.")
    )
    kind = models.CharField(_("loại cơ quan"), max_length=20, choices=AgencyKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("cơ quan cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    place_name = models.CharField(
        _("địa danh"), max_length=100, blank=True, help_text=_("Dùng trong dòng địa danh, ngày tháng của văn bản.")
    )
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    phone = models.CharField(_("điện thoại"), max_length=50, blank=True)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    seal_diameter_mm = models.DecimalField(
        _("đường kính con dấu (mm)"), max_digits=4, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("20")), MaxValueValidator(Decimal("60"))],
        help_text=_("Đo trên con dấu thật; để trống thì dùng cỡ thông thường theo loại cơ quan."),
    )

    class Meta:
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def seal_size_mm(self) -> float:
        """The diameter the agency's seal is printed at: its measured size, else the usual one for its kind."""
        if self.seal_diameter_mm:
            return float(self.seal_diameter_mm)
        return SEAL_SIZES_MM.get(self.kind, 38.0)

    def clean(self) -> None:
        # A parent chain that loops back would make the tree infinite.
        seen = {self.pk} if self.pk else set()
        node = self.parent
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": _("Cơ quan cấp trên tạo thành vòng lặp.")})
            seen.add(node.pk)
            node = node.parent

    def ancestors(self) -> list[Agency]:
        """From the direct parent up to the root."""
        chain: list[Agency] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def descendant_ids(self) -> set[int]:
        """Ids of every agency below this one (one query per level; the tree is at most four levels deep)."""
        found: set[int] = set()
        frontier = [self.pk]
        while frontier:
            frontier = list(Agency.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            found.update(frontier)
        return found


class Unit(models.Model):
    """A unit (phòng, ban, văn phòng) inside an agency."""

    agency = models.ForeignKey(Agency, verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="units")
    name = models.CharField(_("tên đơn vị"), max_length=255)
    abbreviation = models.CharField(
        _("chữ viết tắt"), max_length=20, validators=[abbreviation_validator], help_text=_("Ví dụ: VP, TCCB.")
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        ordering = ["agency__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "abbreviation"], name="unit_unique_abbreviation_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency.abbreviation})"


class Position(models.Model):
    """A position title (chức vụ), e.g. Chủ tịch, Giám đốc, Trưởng phòng, Chuyên viên."""

    name = models.CharField(_("tên chức vụ"), max_length=100, unique=True)
    rank = models.PositiveSmallIntegerField(
        _("thứ bậc"), default=100, help_text=_("Số nhỏ hơn đứng trước trong danh sách.")
    )

    class Meta:
        verbose_name = _("chức vụ")
        verbose_name_plural = _("chức vụ")
        ordering = ["rank", "name"]

    def __str__(self) -> str:
        return self.name


class RoleCode(models.TextChoices):
    CLERK = "clerk", _("Văn thư")
    LEADER = "leader", _("Lãnh đạo cơ quan")
    DEPUTY_LEADER = "deputy_leader", _("Phó lãnh đạo cơ quan")
    UNIT_HEAD = "unit_head", _("Lãnh đạo đơn vị")
    SPECIALIST = "specialist", _("Chuyên viên")
    ARCHIVIST = "archivist", _("Lưu trữ")
    ADMIN = "admin", _("Quản trị")


class Role(models.Model):
    """A role a person holds in their agency; the set of roles is fixed by the product (see :class:`RoleCode`)."""

    code = models.CharField(_("mã vai trò"), max_length=30, unique=True, choices=RoleCode.choices)
    name = models.CharField(_("tên vai trò"), max_length=100)

    class Meta:
        verbose_name = _("vai trò")
        verbose_name_plural = _("vai trò")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


def ensure_roles() -> dict[str, Role]:
    """The fixed roles, created if missing (a migration seeds them; a flushed test database loses them)."""
    roles = {role.code: role for role in Role.objects.all()}
    for code, label in RoleCode.choices:
        if code not in roles:
            roles[code], _created = Role.objects.get_or_create(code=code, defaults={"name": str(label)})
    return roles


class PersonManager(UserManager):
    def get_by_natural_key(self, username: str) -> Person:
        # Logins compare composed (NFC) text: a username typed decomposed (NFD) is the same person.
        return self.select_related("agency", "unit", "position").get(**{self.model.USERNAME_FIELD: nfc(username)})


class Person(AbstractUser):
    """A person who uses the product: an official of one agency, with roles."""

    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan"), null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    position = models.ForeignKey(
        Position, verbose_name=_("chức vụ"), null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    roles = models.ManyToManyField(Role, verbose_name=_("vai trò"), blank=True, related_name="people")
    phone = models.CharField(_("điện thoại"), max_length=50, blank=True)

    objects = PersonManager()

    class Meta:
        verbose_name = _("cán bộ")
        verbose_name_plural = _("cán bộ")
        ordering = ["agency__code", "full_name", "username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username

    def get_short_name(self) -> str:
        # Vietnamese people are called by their given name: the last word of the full name.
        return (self.full_name.split() or [self.username])[-1]

    def clean(self) -> None:
        super().clean()
        if self.unit_id and self.agency_id and self.unit.agency_id != self.agency_id:
            raise ValidationError({"unit": _("Đơn vị phải thuộc cơ quan của cán bộ.")})
        if self.unit_id and not self.agency_id:
            self.agency_id = self.unit.agency_id

    @cached_property
    def role_codes(self) -> frozenset[str]:
        """The person's role codes; prefetched roles are used when present, otherwise one query."""
        if not self.pk:
            return frozenset()
        return frozenset(role.code for role in self.roles.all())

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes.intersection(codes))

    def is_clerk_of(self, agency) -> bool:
        """Whether this person is a clerk (văn thư) of ``agency`` (an Agency or its pk): the one rule of both
        directions for who registers and returns incoming dispatches and numbers, seals and releases outgoing ones."""
        return bool(self.agency_id) and self.agency_id == getattr(agency, "pk", agency) and self.has_role(
            RoleCode.CLERK)

    def acting_for(self, at: datetime | None = None, *, on: models.Model | None = None) -> list[Person]:
        """People this person currently stands in for by delegation (ủy quyền); ``on``: only those for whom the
        delegation counts on that document (:meth:`Delegation.counts_on`)."""
        ids = Delegation.objects.active(at).filter(delegate=self).values_list("delegator_id", flat=True)
        delegators = list(Person.objects.filter(pk__in=ids))
        if on is not None:
            delegators = [delegator for delegator in delegators if Delegation.counts_on(on, delegator)]
        return delegators


class DelegationQuerySet(models.QuerySet):
    def active(self, at: datetime | None = None) -> DelegationQuerySet:
        at = at or timezone.now()
        return self.filter(starts_at__lte=at, ends_at__gt=at, revoked_at__isnull=True)

    def delegator_ids(self, delegate: Person) -> models.QuerySet:
        """The ids of the people ``delegate`` stands in for, as a subquery (for the scoping rules)."""
        return self.active().filter(delegate=delegate).values("delegator_id")

    def involving(self, people: Iterable[Person]) -> DelegationQuerySet:
        ids = [p.pk for p in people]
        return self.filter(Q(delegator_id__in=ids) | Q(delegate_id__in=ids))


class Delegation(models.Model):
    """A delegation (ủy quyền): for a period, ``delegate`` acts for ``delegator`` (e.g. a deputy for an absent leader).

    What the delegate does under it is recorded as done on behalf of the delegator.
    """

    delegator = models.ForeignKey(
        Person, verbose_name=_("người ủy quyền"), on_delete=models.PROTECT, related_name="delegations_given"
    )
    delegate = models.ForeignKey(
        Person, verbose_name=_("người được ủy quyền"), on_delete=models.PROTECT, related_name="delegations_received"
    )
    starts_at = models.DateTimeField(_("từ"))
    ends_at = models.DateTimeField(_("đến"))
    reason = models.CharField(_("lý do"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("ngày thu hồi"), null=True, blank=True)

    objects = DelegationQuerySet.as_manager()

    class Meta:
        verbose_name = _("ủy quyền")
        verbose_name_plural = _("ủy quyền")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="delegation_ends_after_start"),
            models.CheckConstraint(condition=~Q(delegator=models.F("delegate")), name="delegation_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate}"

    @staticmethod
    def counts_on(document: models.Model, delegator: Person) -> bool:
        """Whether a delegation from ``delegator`` counts on ``document``. On an ordinary document, always. A
        delegation never extends what the delegate may see or do of a secret document (``document.is_secret``)
        unless the delegator is named on it (``visible_to`` shows it to the delegator): the deputy standing in for
        the director handles the director's secret work, and nothing else that is secret."""
        from .scoping import can_see

        return not getattr(document, "is_secret", False) or can_see(document, delegator)

    def clean(self) -> None:
        if self.delegator_id and self.delegate_id:
            if self.delegator_id == self.delegate_id:
                raise ValidationError(_("Không thể ủy quyền cho chính mình."))
            if self.delegator.agency_id != self.delegate.agency_id:
                raise ValidationError(_("Chỉ được ủy quyền cho cán bộ cùng cơ quan."))
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("Thời điểm kết thúc phải sau thời điểm bắt đầu.")})
