"""Kinds of partner organisations and target groups: codes stored, Dutch shown."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KINDS = {
    "ocmw": _l("Social service (OCMW)"),
    "ldc": _l("Local service centre"),
    "thuiszorg": _l("Home care"),
    "gezinszorg": _l("Family and elderly care"),
    "caw": _l("CAW (general welfare)"),
    "ziekenfonds": _l("Health insurance fund"),
    "vervoer": _l("Transport for the less mobile"),
    "dorpsrestaurant": _l("Village restaurant"),
    "vereniging": _l("Association"),
    "andere": _l("Other"),
}

TARGET_GROUPS = {
    "iedereen": _l("Everyone"),
    "65plus": _l("65-plus"),
    "80plus": _l("80-plus"),
    "alleenwonend": _l("Living alone"),
    "mantelzorgers": _l("Informal carers"),
    "gezinnen": _l("Families"),
    "beperking": _l("People with a disability"),
}
