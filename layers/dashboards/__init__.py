"""Situation-map dashboards: the county panorama, drill-down pages and the workload page.

Folium maps served by Django. Heavy layers come from the vector-tile endpoint; figures come from one
adapter (data.py); every JS/CSS file can be served by the app itself (assets.py).
"""
