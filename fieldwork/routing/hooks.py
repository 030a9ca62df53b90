"""Hooks that routing sends and higher packages answer (see ``fieldwork.core.hooks``)."""

from __future__ import annotations

from blinker import Namespace

hooks = Namespace()

#: Sent once per routing transaction, just before its commit, with ``routed=``: a list of
#: (Signal, the Case it opened or None), one per signal routed in it. reports adds them to
#: the monthly rollups (in one statement, so the rollup rows stay locked only for the commit).
signals_routed = hooks.signal("signals-routed")
