"""Hooks that auth sends and higher packages answer (see ``fieldwork.core.hooks``)."""

from __future__ import annotations

from blinker import Namespace

hooks = Namespace()

#: Sent when a coordinator deactivated an account (sender: the User), in the same transaction.
#: routing takes the user out of every team.
user_deactivated = hooks.signal("user-deactivated")
