"""Printed plans' part of the reconciliation sweep (fieldwork.core.reconcile): a plan or
residents' summary PDF still waiting a few minutes after it was asked for (its message lost),
or still "running" long after (its worker killed), is made again. Idempotent: a "done"
document is left alone (core.pdfjobs.render_once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fieldwork.core.reconcile import stalled_jobs
from fieldwork.plans.models import PlanDocument


def unprinted_documents(cutoff: datetime) -> list[list[Any]]:
    return stalled_jobs(PlanDocument.id, PlanDocument.status, PlanDocument.created_at, cutoff)
