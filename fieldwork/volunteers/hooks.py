"""Hooks that volunteers sends and higher packages answer (see ``fieldwork.core.hooks``)."""

from __future__ import annotations

from blinker import Namespace

hooks = Namespace()

#: Sent when a volunteer with an account was paused or stopped (sender: the Volunteer,
#: ``account=``: their User), in the same transaction. The capture tools give that person's
#: open work back to the coordinator (visits: open addresses; calls: people to call).
volunteer_stepped_back = hooks.signal("volunteer-stepped-back")
