"""referrals' answers to the hooks of cases; connected once per process by ``init_app``."""

from __future__ import annotations

from typing import Any

from fieldwork.cases.hooks import consent_proofs
from fieldwork.referrals.services import consents_with_proof


def proofs_on_cards(_sender: None, consent_ids: list[int], **_: Any) -> set[int]:
    return consents_with_proof(consent_ids)


consent_proofs.connect(proofs_on_cards, weak=False)
