"""Municipalities, sub-municipalities, statistical sectors, neighbourhoods and resolution."""
