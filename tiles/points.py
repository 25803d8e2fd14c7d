"""The raw-points tile's key ranges: which stretches of the incidents' point index a tile reads.

The index `incident_tile_points` (tiles migrations 0007, 0009) is a btree on `tiles_point_key(location)`, a
point's Z-order (Morton) number over the web-mercator square at 2^31 cells a side
(tiles/sql/functions/point_key.sql), then the point's EPSG:3857 x and y, INCLUDing every column the
incidents tile draws or filters on. On
a Z-order curve every XYZ tile at zoom z ≤ 31 is one contiguous range of keys: the top 2z bits of a key
are the Morton number of the tile at z that holds it. The tile's buffer (BUFFER of EXTENT tile units on
each side) is a ring of smaller tiles around it, each a range of its own; adjacent ranges are merged
(about 100 ranges at z16). The tile query joins these ranges to the index, so a dense z16 tile is ~100
short index-only range scans over neighbouring leaf pages (~1,200 buffers), where the GiST index and
the heap gave ~10,000 rows on ~8,000 pages (~9,300 buffers; docs/tiles.md has the timings).

Why not the GiST index with INCLUDEd columns: PostGIS's GiST operator class cannot return the geometry,
so it never scans index-only. SP-GiST on a `point` can (and was tried): 3.5 µs a point against the
btree's ~0.2 on the same dense tile.
"""

from __future__ import annotations

import math

KEY_BITS = 31  # cells a side of the web-mercator square: 2^31 (as tiles_point_key)
HALF = 20037508.342789244  # half the side of the web-mercator square, metres


def spread(v: int) -> int:
    """The low KEY_BITS bits of v moved to the even bit positions (as tiles_point_key does)."""
    v &= (1 << KEY_BITS) - 1
    for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF), (4, 0x0F0F0F0F0F0F0F0F),
                        (2, 0x3333333333333333), (1, 0x5555555555555555)):
        v = (v | (v << shift)) & mask
    return v


def morton(x: int, y: int) -> int:
    """The Z-order number of cell (x, y): x's bits at the even positions, y's at the odd ones."""
    return spread(x) | (spread(y) << 1)


def point_key(mx: float, my: float) -> int:
    """tiles_point_key for a point already in EPSG:3857 (the tests compare the two)."""
    cells = float(1 << KEY_BITS)
    ix = min(max(math.floor((mx + HALF) / (2 * HALF) * cells), 0), (1 << KEY_BITS) - 1)
    iy = min(max(math.floor((HALF - my) / (2 * HALF) * cells), 0), (1 << KEY_BITS) - 1)
    return morton(ix, iy)


def tile_range(z: int, x: int, y: int) -> tuple[int, int]:
    """The keys [lo, hi) of the points inside tile z/x/y."""
    shift = 2 * (KEY_BITS - z)
    first = morton(x, y)
    return first << shift, (first + 1) << shift


def key_ranges(z: int, x: int, y: int, extent: int, buffer: int) -> tuple[list[int], list[int]]:
    """The key ranges [lo, hi) covering tile z/x/y and its buffer, sorted and merged: (los, his).

    The ring around the tile is made of tiles twice the buffer wide (128 of 4096 tile units: z+5), not
    once: ST_AsMVTGeom keeps a point that *rounds* onto the buffer's edge, up to half a unit beyond it,
    and so does the tile query's clip. The buffer must be a power-of-two fraction of the extent."""
    ratio = extent // (2 * buffer)
    ring_z = z + ratio.bit_length() - 1
    if 2 * buffer * ratio != extent or ratio & (ratio - 1) or ring_z > KEY_BITS:
        raise ValueError(f"buffer {buffer} is not a power-of-two fraction of extent {extent} at zoom {z}")
    ranges = [tile_range(z, x, y)]
    x0, y0, side, limit = x * ratio, y * ratio, ratio, 1 << ring_z
    ring = ([(cx, cy) for cy in (y0 - 1, y0 + side) for cx in range(x0 - 1, x0 + side + 1)]
            + [(cx, cy) for cx in (x0 - 1, x0 + side) for cy in range(y0, y0 + side)])
    ranges += [tile_range(ring_z, cx, cy) for cx, cy in ring if 0 <= cx < limit and 0 <= cy < limit]
    ranges.sort()
    los, his = [ranges[0][0]], [ranges[0][1]]
    for lo, hi in ranges[1:]:
        if lo == his[-1]:
            his[-1] = hi
        else:
            los.append(lo)
            his.append(hi)
    return los, his
