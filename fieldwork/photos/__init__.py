"""Photo assignments (foto-opdrachten): weekly prompts for residents, uploads without an
account, moderation, galleries and the flyer."""
