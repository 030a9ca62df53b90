"""The social map (sociale kaart): partner organisations, the services they offer, for which
themes, target groups and neighbourhoods — kept by the coordinator, searched on a phone."""
