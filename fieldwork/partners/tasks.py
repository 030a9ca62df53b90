from __future__ import annotations

from celery import shared_task

from fieldwork.partners.menu_cards import render_job


@shared_task(name="partners.render_menu_card")
def render_menu_card_task(job_id: int) -> bool:
    """Batch queue: an info card's PDF."""
    return render_job(job_id)
