"""Hooks that visits sends and higher packages answer (see ``fieldwork.core.hooks``)."""

from __future__ import annotations

from blinker import Namespace

hooks = Namespace()

#: Sent with the Visit (as sender) when its maker undoes it, inside the undo's transaction and
#: before the visit is deleted. reports takes it out of the monthly rollups if it was counted.
visit_undone = hooks.signal("visit-undone")
