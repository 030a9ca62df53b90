"""Doorstep visit rounds by the visitor team for older residents (bezoekersteam)."""
