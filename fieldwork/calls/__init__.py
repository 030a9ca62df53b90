"""Call campaigns (belactie) and the good-morning call (goeiemorgen-telefoon)."""
