"""OGC API - Features at /ogc/ (views.py), over the export layers (collections.py)."""
