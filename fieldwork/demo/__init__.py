"""Demo data for `make run`."""
