"""The one gate through which every query for documents or people passes: :func:`visible_to`.

Views, the API, flows, exports and search all call ``visible_to(queryset, person)``; none of them filters by agency
on its own. Each model that holds documents or people registers its rule here with :func:`scoping_rule`, next to the
model. A model without a rule is refused rather than returned unscoped, so forgetting a rule fails loudly.

Rules in force (later apps add theirs):
- people, units: the person's own agency;
- agencies: every agency (the directory is needed to address dispatches and is public information);
- audit records: the person's own agency, and only for administrators.
Superusers (the deployment's technical operators) see everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models

M = TypeVar("M", bound=models.Model)
Rule = Callable[[models.QuerySet, "object"], models.QuerySet]

_RULES: dict[type[models.Model], Rule] = {}


def scoping_rule(model: type[models.Model]) -> Callable[[Rule], Rule]:
    """Register the rule that limits ``model``'s querysets to what a person may see."""

    def register(rule: Rule) -> Rule:
        _RULES[model] = rule
        return rule

    return register


def visible_to(queryset: models.QuerySet[M] | type[M], person) -> models.QuerySet[M]:
    """Limit ``queryset`` (or a model's default manager) to the rows ``person`` may see."""
    if isinstance(queryset, type) and issubclass(queryset, models.Model):
        queryset = queryset._default_manager.all()
    if person is None or not getattr(person, "is_authenticated", False) or not person.is_active:
        return queryset.none()
    if person.is_superuser:
        return queryset
    model = queryset.model
    rule = _RULES.get(model) or _RULES.get(getattr(model._meta, "concrete_model", model))
    if rule is None:
        raise ImproperlyConfigured(f"No scoping rule for {model._meta.label}: register one with @scoping_rule.")
    return rule(queryset, person)


def can_see(obj: models.Model, person) -> bool:
    """Whether ``person`` may see ``obj`` (the same rule as for lists, applied to one row)."""
    return visible_to(type(obj)._default_manager.filter(pk=obj.pk), person).exists()


def register_org_rules() -> None:
    """Rules for the organisation models; called from ``OrgsConfig.ready``."""
    from .models import Agency, Delegation, Person, Position, Role, Unit

    @scoping_rule(Person)
    def people(queryset, person):
        if not person.agency_id:
            return queryset.none()
        return queryset.filter(agency_id=person.agency_id)

    @scoping_rule(Unit)
    def units(queryset, person):
        if not person.agency_id:
            return queryset.none()
        return queryset.filter(agency_id=person.agency_id)

    @scoping_rule(Agency)
    def agencies(queryset, person):
        return queryset

    @scoping_rule(Position)
    def positions(queryset, person):
        return queryset

    @scoping_rule(Role)
    def roles(queryset, person):
        return queryset

    @scoping_rule(Delegation)
    def delegations(queryset, person):
        if not person.agency_id:
            return queryset.none()
        return queryset.filter(delegator__agency_id=person.agency_id)

