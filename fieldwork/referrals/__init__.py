"""Referral cards with a QR code and a tear-off consent strip (doorverwijskaarten)."""
