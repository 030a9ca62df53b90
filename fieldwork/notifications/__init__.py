"""E-mail and the in-app inbox; who was told and when."""
