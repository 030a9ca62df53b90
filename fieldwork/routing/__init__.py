"""Routing rules and teams: which contact person gets a signal."""
