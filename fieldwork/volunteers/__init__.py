"""Volunteers: inclusive intake, the pool, trainings, and buurtgezellen matching."""
