"""Hooks that core sends and the capability packages answer.

Every package that must learn about something a higher package owns defines its hooks like
this, in its own ``hooks.py``: blinker signals, sent synchronously, so a receiver runs inside
the sender's database transaction. The higher package connects its receivers in its
``receivers.py``, imported once per process by its ``init_app`` (called from ``create_app``).
"""

from __future__ import annotations

from blinker import Namespace

hooks = Namespace()

#: The worker's ping task (``fieldwork.core.ping``), sender None. Each receiver answers a dict
#: of counts the worker sees in the database, merged into the pong (areas: neighbourhoods).
worker_ping = hooks.signal("worker-ping")
