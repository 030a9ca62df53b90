"""Themes, life domains, sources and urgencies of product.md: codes stored, Dutch shown."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

DOMAINS = {
    "welzijn": _l("Wellbeing"),
    "wonen": _l("Housing and living environment"),
    "zorg": _l("Care and health"),
}

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

# The life domain each theme belongs to, for captures that ask only for themes (cards, visits).
THEME_DOMAINS = {
    "eenzaamheid": "welzijn",
    "sociaal_isolement": "welzijn",
    "zorgnood": "zorg",
    "onbeantwoorde_nood": "welzijn",
    "mantelzorg_nodig": "zorg",
    "mantelzorg_potentieel": "zorg",
    "financien_rechten": "welzijn",
    "mobiliteit": "wonen",
    "woning": "wonen",
    "veiligheid": "zorg",
    "vrije_tijd": "welzijn",
    "informatie": "welzijn",
    "buurtgezel": "welzijn",
    "vrijwilliger": "welzijn",
}
THEME_POLARITIES = {"mantelzorg_potentieel": "strength", "vrijwilliger": "strength"}

SOURCES = {
    "visit": _l("Doorstep visit"),
    "call": _l("Call"),
    "referral_card": _l("Referral card"),
    "photo": _l("Photo"),
    "intake": _l("Volunteer intake"),
    "manual": _l("Manual intake"),
    "neighbour": _l("Caring neighbour"),
}

URGENCIES = {"normal": _l("Normal"), "urgent": _l("Urgent")}
POLARITIES = {"need": _l("Need"), "strength": _l("Strength")}
CONSENT_METHODS = {
    "signed_strip": _l("Signed tear-off strip"),
    "signature": _l("Signature on screen"),
    "verbal": _l("Verbal"),
}

CASE_STATUSES = {
    "new": _l("New"),
    "assigned": _l("Assigned"),
    "contacted": _l("Contacted"),
    "in_progress": _l("In progress"),
    "closed": _l("Closed"),
}
OUTCOMES = {
    "helped": _l("Helped"),
    "referred_onward": _l("Referred onward"),
    "info_only": _l("Information only"),
    "declined": _l("Declined"),
    "unreachable": _l("Unreachable"),
    "moved_or_deceased": _l("Moved or deceased"),
}
EVENT_TYPES = {
    "routed": _l("Routed"),
    "assigned": _l("Assigned"),
    "contact_attempt": _l("Contact attempt"),
    "status_change": _l("Status change"),
    "note": _l("Note"),
    "reassigned": _l("Reassigned"),
    "reminder_sent": _l("Reminder sent"),
    "escalated": _l("Escalated"),
    "merged": _l("Merged"),
    "onward_sent": _l("Referred onward"),
    "onward_accepted": _l("Partner accepted the referral"),
    "onward_declined": _l("Partner declined the referral"),
    "onward_done": _l("Partner reported the referral done"),
    "onward_withdrawn": _l("Referral onward ended: consent withdrawn"),
}
ATTEMPT_RESULTS = {
    "reached": _l("Reached"),
    "no_answer": _l("No answer"),
    "call_back_at": _l("Call back later"),
}

REFERRAL_STATUSES = {
    "received": _l("Received"),
    "contacted": _l("Contacted"),
    "closed": _l("Closed"),
}
#: What the filer of a signal sees (Mijn signalen): the referral steps, or only counted
FILER_STATUSES = {**REFERRAL_STATUSES, "counted_only": _l("Only counted")}
CARD_STATES = {
    "printed": _l("Printed"),
    "handed_out": _l("Handed out"),
    "used": _l("Filed"),
    "voided": _l("Invalid"),
}
PDF_STATUSES = {
    "pending": _l("Waiting"),
    "running": _l("Being made"),
    "done": _l("Ready"),
    "failed": _l("Failed"),
}

VISIT_STATUSES = {
    "to_visit": _l("To visit"),
    "visited": _l("Visited"),
    "not_home": _l("Not at home"),
    "refused": _l("Refused"),
    "moved": _l("Moved"),
    "deceased": _l("Deceased"),
}

CALL_OUTCOMES = {
    "reached": _l("Reached"),
    "no_answer": _l("No answer"),
    "voicemail": _l("Voicemail"),
    "wrong_number": _l("Wrong number"),
    "call_back_at": _l("Call back later"),
    "refused": _l("Does not want to talk"),
}
SCHEDULE_STATES = {"active": _l("Active"), "paused": _l("Paused"), "stopped": _l("Stopped")}
GOODMORNING_STATUSES = {
    "open": _l("To call"),
    "reached": _l("Reached"),
    "alerted": _l("Alert sent"),
    "skipped": _l("Paused"),
}
ALERT_REASONS = {
    "no_answer": _l("No answer after the retries"),
    "wrong_number": _l("The number does not work"),
    "not_called": _l("Nobody called in time"),
}
ESCALATION_RELATIONS = {
    "neighbour": _l("Neighbour"),
    "family": _l("Family"),
    "contact_person": _l("The contact person"),
}
WEEKDAYS = {
    0: _l("Monday"),
    1: _l("Tuesday"),
    2: _l("Wednesday"),
    3: _l("Thursday"),
    4: _l("Friday"),
    5: _l("Saturday"),
    6: _l("Sunday"),
}

LABELS = {
    "theme": THEMES,
    "domain": DOMAINS,
    "source": SOURCES,
    "urgency": URGENCIES,
    "polarity": POLARITIES,
    "consent": CONSENT_METHODS,
    "status": CASE_STATUSES,
    "outcome": OUTCOMES,
    "event": EVENT_TYPES,
    "result": ATTEMPT_RESULTS,
    "referral_status": REFERRAL_STATUSES,
    "filer_status": FILER_STATUSES,
    "card_state": CARD_STATES,
    "pdf_status": PDF_STATUSES,
    "visit_status": VISIT_STATUSES,
    "call_outcome": CALL_OUTCOMES,
    "schedule_state": SCHEDULE_STATES,
    "goodmorning_status": GOODMORNING_STATUSES,
    "alert_reason": ALERT_REASONS,
    "escalation_relation": ESCALATION_RELATIONS,
}


def label(kind: str, code: str | None) -> str:
    """The Dutch (or English) label of a stored code; the code itself when unknown."""
    if code is None:
        return ""
    return str(LABELS.get(kind, {}).get(code, code))
