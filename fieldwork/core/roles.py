"""The roles of product.md, as codes with Dutch labels (translated in the UI)."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    VOLUNTEER = "volunteer"
    REFERRER = "referrer"
    CONTACT_PERSON = "contact_person"
    COORDINATOR = "coordinator"
    ANALYST = "analyst"


ALL_ROLES = frozenset(role.value for role in Role)
STAFF_WITH_PERSONAL_DATA = frozenset({Role.CONTACT_PERSON.value, Role.COORDINATOR.value})

ROLE_LABELS = {
    Role.VOLUNTEER: _l("Volunteer"),
    Role.REFERRER: _l("Referrer"),
    Role.CONTACT_PERSON: _l("Contact person"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ANALYST: _l("Analyst"),
}
