"""Findings per neighbourhood: imported indicators, figures from the field, small-cell
suppression and exports for the neighbourhood analysis."""
