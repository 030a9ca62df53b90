"""Residents, consent and signals: what every capture tool stores."""
