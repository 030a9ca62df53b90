"""Themes, life domains, sources and urgencies of product.md: codes stored, Dutch shown."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

DOMAINS = {"welzijn": _l("Wellbeing"), "wonen": _l("Housing and living environment"),
           "zorg": _l("Care and health")}

THEMES = {
    "eenzaamheid": _l("Loneliness"),
    "sociaal_isolement": _l("Social isolation"),
    "zorgnood": _l("Care need"),
    "onbeantwoorde_nood": _l("Unanswered need"),
    "mantelzorg_nodig": _l("Needs informal care"),
    "mantelzorg_potentieel": _l("Can give informal care"),
    "financien_rechten": _l("Income and rights"),
    "mobiliteit": _l("Mobility"),
    "woning": _l("Housing fit and adaptations"),
    "veiligheid": _l("Falls and safety"),
    "vrije_tijd": _l("Leisure and meeting"),
    "informatie": _l("Information about services"),
    "buurtgezel": _l("Companionship or small help"),
    "vrijwilliger": _l("Wants to volunteer"),
}

SOURCES = {"visit": _l("Doorstep visit"), "call": _l("Call"), "referral_card": _l("Referral card"),
           "photo": _l("Photo"), "intake": _l("Volunteer intake"), "manual": _l("Manual intake")}

URGENCIES = {"normal": _l("Normal"), "urgent": _l("Urgent")}
POLARITIES = {"need": _l("Need"), "strength": _l("Strength")}
CONSENT_METHODS = {"signed_strip": _l("Signed tear-off strip"),
                   "signature": _l("Signature on screen"), "verbal": _l("Verbal")}
