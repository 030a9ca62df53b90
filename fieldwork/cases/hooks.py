"""Hooks that cases sends and higher packages answer (see ``fieldwork.core.hooks``)."""

from __future__ import annotations

from blinker import Namespace

hooks = Namespace()

#: Sent when the resident of a case withdrew consent and the case closed (sender: the Case,
#: ``by=``: the User who recorded it), in the same transaction. volunteers ends the
#: resident's buurtgezel matches and requests.
case_consent_withdrawn = hooks.signal("consent-withdrawn")

#: Asked whether a user is a member of a team (sender None, ``team_id=``, ``user_id=``).
#: routing, which owns teams, answers True or False.
team_membership = hooks.signal("team-membership")

#: Asked which of these consents have proof on paper or screen (sender None,
#: ``consent_ids=``). referrals answers the set of ids with a signature or a strip photo.
consent_proofs = hooks.signal("consent-proofs")

#: Asked for more sections of the case page (sender: the Case). onward answers with the
#: referrals onward to partners (rendered HTML, autoescaped).
case_page_sections = hooks.signal("case-page-sections")


def in_team(team_id: int, user_id: int) -> bool:
    return any(
        answer for _receiver, answer in team_membership.send(None, team_id=team_id, user_id=user_id)
    )


def consents_with_proof(consent_ids: list[int]) -> set[int]:
    proofs: set[int] = set()
    for _receiver, answer in consent_proofs.send(None, consent_ids=consent_ids):
        proofs |= answer
    return proofs


def case_sections(case: object) -> list[object]:
    return [answer for _receiver, answer in case_page_sections.send(case)]
