"""Info cards' part of the reconciliation sweep (fieldwork.core.reconcile): a card still
waiting a few minutes after it was asked for (its message lost), or still "running" long after
(its worker killed), is made again.

Idempotent: the task leaves a "done" card alone and otherwise renders it from the start into
the same row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fieldwork.core.reconcile import stalled_jobs
from fieldwork.partners.models import MenuCardJob


def unmade_menu_cards(cutoff: datetime) -> list[list[Any]]:
    return stalled_jobs(MenuCardJob.id, MenuCardJob.status, MenuCardJob.created_at, cutoff)
