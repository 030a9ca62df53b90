"""Hooks that signals sends and higher packages answer (see ``fieldwork.core.hooks``)."""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace

from fieldwork.auth.models import User
from fieldwork.signals.models import Signal

hooks = Namespace()


@dataclass(frozen=True)
class CaseView:
    """What the status API may say about a signal's case."""

    status: str  # the filer's word for the case: "routed", "contacted" or "closed"
    visible: bool  # whether the asking user may see the case


#: Sent by the signal status API for a signal that has a case (sender: the Signal, ``user=``:
#: who asks). cases answers a :class:`CaseView`.
signal_case = hooks.signal("signal-case")


def case_view(signal: Signal, user: User) -> CaseView | None:
    """The answer to ``signal-case``, or None when the signal has no case (yet)."""
    if signal.case_id is None:
        return None
    for _receiver, view in signal_case.send(signal, user=user):
        if view is not None:
            return view
    return None
