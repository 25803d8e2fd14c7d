"""Views of the layers app: thin, one domain call each (incidents, stats, Open311)."""
