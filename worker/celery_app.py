"""Worker entry point: ``celery -A worker.celery_app worker``.

Creates the Flask app (so tasks share its config and database) and exposes its Celery app.
"""

from fieldwork import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
