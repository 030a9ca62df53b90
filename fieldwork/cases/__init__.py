"""Cases (dossiers) and their append-only events."""
