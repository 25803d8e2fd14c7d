"""Coordinate reference systems Gridmap accepts, and the GCJ-02 offset used by Chinese web maps.

Storage is WGS84 (EPSG:4326). Survey data arrives in CGCS2000 (EPSG:4490, centimetres from WGS84) or
its Gauss-Krüger zones (EPSG:4491-4554); web data in Web Mercator (3857). Data copied from Amap or
Tencent is in GCJ-02, which is not an EPSG CRS but an obfuscating offset of a few hundred metres:
it must be removed on import, never stored as if it were WGS84.
"""

from __future__ import annotations

import math

import numpy as np

WGS84 = 4326
CGCS2000 = 4490
WEB_MERCATOR = 3857
CGCS2000_GK_ZONES = range(4491, 4555)

GEOGRAPHIC_SRIDS = {WGS84, CGCS2000}


def is_supported(srid: int) -> bool:
    return srid in GEOGRAPHIC_SRIDS or srid == WEB_MERCATOR or srid in CGCS2000_GK_ZONES


def describe_supported() -> str:
    return "4326 (WGS84), 4490 (CGCS2000), 4491-4554 (CGCS2000 Gauss-Krüger zones), 3857 (Web Mercator)"


# Krasovsky 1940 ellipsoid parameters used by the published GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323


def _outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * math.pi) + 320 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    """Apply the GCJ-02 offset (vectorised; points outside China are returned unchanged)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    outside = _outside_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_wgs84(lon, lat, iterations: int = 6):
    """Remove the GCJ-02 offset by fixed-point iteration: accurate to well under a centimetre."""
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(iterations):
        tlon, tlat = wgs84_to_gcj02(wlon, wlat)
        wlon = wlon - (tlon - glon)
        wlat = wlat - (tlat - glat)
    return wlon, wlat
