"""The codes of caring neighbours, with their labels (translated in the UI)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: what a caring neighbour can do (the intake's "what can you do")
CAN_DO = {
    "keep_an_eye": _l("Keep an eye on the street and pass on concerns"),
    "visit": _l("Drop by for a chat"),
    "errands": _l("Small errands or shopping"),
    "transport": _l("Drive someone now and then"),
    "odd_jobs": _l("Small jobs in and around the house"),
}

NEIGHBOUR_STATUSES = {
    "pending": _l("Waiting for confirmation"),
    "active": _l("Active"),
    "paused": _l("Paused"),
    "ended": _l("Ended"),
}

JOINED_VIA = {
    "public_form": _l("Public page"),
    "coordinator": _l("Added by the coordinator"),
}

#: the purpose of the consent text a caring neighbour agrees to (their own data)
CONSENT_PURPOSE = "caring_neighbour"
DEFAULT_CONSENT_TEXT = (
    "Ik geef de gemeente de toestemming om mijn naam, straten, telefoonnummer en e-mailadres "
    "te bewaren zolang ik zorgzame buur ben, om mij te contacteren over het netwerk van "
    "zorgzame buren (berichten, vormingen). Ik kan dit altijd stopzetten bij de regisseur."
)

#: the consent a neighbour records for the resident they file about: asked in person, or none
RESIDENT_CONSENT = {
    "verbal": _l("Yes, the resident agrees to be contacted"),
    "none": _l("No consent: only count it, nobody will call"),
}
