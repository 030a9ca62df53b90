from __future__ import annotations

from celery import shared_task

from fieldwork.plans.documents import render_document


@shared_task(name="plans.render_document")
def render_document_task(document_id: int) -> bool:
    """Batch queue: the printable plan or a residents' summary (PDF)."""
    return render_document(document_id)
