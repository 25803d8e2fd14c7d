-- A batch's tracks and their pieces per basic grid, in one statement: the vertices come as parallel
-- arrays (segment, lon, lat, time), each segment becomes a LineString with its times, and each track is
-- cut by the current basic grids it crosses (the pieces are what scopes see and coverage sums).
WITH fix AS (
    SELECT s, x, y, t, i
    FROM unnest(%(seg)s::int[], %(lon)s::float8[], %(lat)s::float8[], %(t)s::timestamptz[])
         WITH ORDINALITY AS f(s, x, y, t, i)
), line AS (
    SELECT s, ST_MakeLine(ST_SetSRID(ST_MakePoint(x, y), 4326) ORDER BY i) AS path,
           array_agg(t ORDER BY i) AS times, min(t) AS started_at, max(t) AS ended_at
    FROM fix GROUP BY s
), track AS (
    INSERT INTO field_track (batch_id, seq, username, worker_id, path, times, started_at, ended_at, length_m)
    SELECT %(batch)s, s, %(username)s, %(worker)s, path, times, started_at, ended_at, ST_Length(path::geography)
    FROM line
    RETURNING id, seq, path, started_at, ended_at, length_m
), piece AS (
    INSERT INTO field_trackpiece (track_id, grid_code, path, length_m, started_at, ended_at)
    SELECT track.id, a.code, cut.path, ST_Length(cut.path::geography), track.started_at, track.ended_at
    FROM track
    JOIN grids_area a ON a.level = 4 AND a.valid_to IS NULL AND a.boundary && track.path
                     AND ST_Intersects(a.boundary, track.path)
    CROSS JOIN LATERAL (
        SELECT ST_Multi(ST_CollectionExtract(ST_Intersection(a.boundary, track.path), 2)) AS path) cut
    WHERE NOT ST_IsEmpty(cut.path)
    RETURNING track_id, grid_code
)
SELECT track.id, track.seq, track.started_at, track.ended_at, track.length_m,
       ST_NPoints(track.path) AS fixes,
       coalesce((SELECT array_agg(grid_code ORDER BY grid_code) FROM piece WHERE piece.track_id = track.id),
                '{}') AS grids
FROM track ORDER BY track.seq
