"""Hooks that routing sends and higher packages answer (see ``fieldwork.core.hooks``)."""

from __future__ import annotations

from blinker import Namespace

hooks = Namespace()

#: Sent once per signal when it was routed, in the routing task's transaction (sender: the
#: Signal, ``opened=``: the Case it opened, or None). reports adds it to the monthly rollups.
signal_routed = hooks.signal("signal-routed")
