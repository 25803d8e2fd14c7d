-- An incident point's position on a Z-order (Morton) curve over the web-mercator square (EPSG:3857,
-- y growing downwards as tile rows do), 2^31 cells a side (1.9 cm at the equator): the key of the
-- incidents' point index (tiles migration 0100, incident_tile_points). Every XYZ tile is one contiguous
-- range of keys (the key's top 2z bits are the tile's own Morton number), and its buffer a few more, so
-- the raw-points tile reads its points as btree ranges, index-only (the properties it draws are
-- INCLUDEd), rather than ~10,000 heap rows scattered over as many pages. tiles/points.py computes the
-- ranges; tests/tiles/test_points.py holds the two equal.
--
-- The index stores these values: a change to this body needs `REINDEX INDEX incident_tile_points`.
CREATE OR REPLACE FUNCTION tiles_point_key(location geometry) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    half constant float8 := 20037508.342789244;  -- half the side of the web-mercator square, metres
    cells constant float8 := 2147483648;  -- 2^31
    p geometry := ST_Transform(location, 3857);
    ix bigint := least(greatest(floor((ST_X(p) + half) / (2 * half) * cells), 0), cells - 1)::bigint;
    iy bigint := least(greatest(floor((half - ST_Y(p)) / (2 * half) * cells), 0), cells - 1)::bigint;
    masks constant bigint[] := ARRAY[x'0000FFFF0000FFFF'::bigint, x'00FF00FF00FF00FF'::bigint,
                                     x'0F0F0F0F0F0F0F0F'::bigint, x'3333333333333333'::bigint,
                                     x'5555555555555555'::bigint];
    shifts constant int[] := ARRAY[16, 8, 4, 2, 1];
BEGIN
    -- Spread each coordinate's 31 bits to the even bit positions, then interleave: x even, y odd.
    FOR k IN 1..5 LOOP
        ix := (ix | (ix << shifts[k])) & masks[k];
        iy := (iy | (iy << shifts[k])) & masks[k];
    END LOOP;
    RETURN ix | (iy << 1);
END
$$;
