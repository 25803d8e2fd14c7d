-- The figure "video patrols" (视频巡查, issue 19), defined once: every reader (/api/stats, the workload page,
-- the per-worker count that the patrol figures add) calls these functions.
--
-- A video patrol counts in a unit and period when it started in [since, until) and looked at at least one
-- camera placed in the unit (the camera's grid when it was looked at, kept on the view row). Per unit:
--   video_patrols   distinct patrols (a patrol over two villages counts once in each, once in their township:
--                   it does not add up over children, as "has anyone looked this week" should not)
--   cameras_viewed  distinct cameras of the unit looked at
--   camera_views    patrol x camera rows (this one adds up)
--   hours           the patrols' time spent (ended_at - started_at), each patrol once per unit
-- Per worker: the patrols they made in the period, the cameras they looked at, the hours.

CREATE OR REPLACE FUNCTION field_video_patrol_units(unit_prefix text, unit_length integer,
                                                    since timestamptz, until timestamptz)
RETURNS TABLE (code text, video_patrols bigint, cameras_viewed bigint, camera_views bigint, hours double precision)
LANGUAGE sql STABLE AS $$
    WITH v AS (
        SELECT left(vc.grid_code, unit_length) AS code, vc.patrol_id, vc.camera_id
        FROM field_videopatrolcamera vc
        WHERE vc.grid_code LIKE unit_prefix || '%'
          AND length(vc.grid_code) >= unit_length
          AND vc.started_at >= since AND vc.started_at < until
    ), per_patrol AS (
        SELECT DISTINCT v.code, v.patrol_id FROM v
    )
    SELECT c.code, c.video_patrols, c.cameras_viewed, c.camera_views, h.hours
    FROM (SELECT v.code, count(DISTINCT v.patrol_id) AS video_patrols, count(DISTINCT v.camera_id) AS cameras_viewed,
                 count(*) AS camera_views
          FROM v GROUP BY v.code) c
    JOIN (SELECT pp.code, sum(extract(epoch FROM p.ended_at - p.started_at)) / 3600.0 AS hours
          FROM per_patrol pp JOIN field_videopatrol p ON p.id = pp.patrol_id
          GROUP BY pp.code) h ON h.code = c.code
$$;

CREATE OR REPLACE FUNCTION field_video_patrol_workers(unit_prefix text, since timestamptz, until timestamptz)
RETURNS TABLE (worker_id bigint, video_patrols bigint, cameras_viewed bigint, hours double precision)
LANGUAGE sql STABLE AS $$
    WITH mine AS (
        SELECT p.id, p.worker_id, vc.camera_id, p.started_at, p.ended_at
        FROM field_videopatrol p
        JOIN field_videopatrolcamera vc ON vc.patrol_id = p.id
        WHERE p.worker_id IS NOT NULL
          AND vc.grid_code LIKE unit_prefix || '%'
          AND p.started_at >= since AND p.started_at < until
    )
    SELECT w.worker_id, w.video_patrols, w.cameras_viewed, h.hours
    FROM (SELECT m.worker_id, count(DISTINCT m.id) AS video_patrols, count(DISTINCT m.camera_id) AS cameras_viewed
          FROM mine m GROUP BY m.worker_id) w
    JOIN (SELECT q.worker_id, sum(extract(epoch FROM q.ended_at - q.started_at)) / 3600.0 AS hours
          FROM (SELECT DISTINCT m.id, m.worker_id, m.started_at, m.ended_at FROM mine m) q
          GROUP BY q.worker_id) h ON h.worker_id = w.worker_id
$$;

-- The cameras placed in each unit (the denominator of "cameras viewed"): registered cameras only (a place of
-- kind camera with a channel id or stream URL).
CREATE OR REPLACE FUNCTION field_camera_units(unit_prefix text, unit_length integer)
RETURNS TABLE (code text, cameras bigint)
LANGUAGE sql STABLE AS $$
    SELECT left(p.grid_code, unit_length), count(*)
    FROM field_camera c JOIN layers_place p ON p.id = c.place_ptr_id
    WHERE p.grid_code LIKE unit_prefix || '%' AND length(p.grid_code) >= unit_length
    GROUP BY 1
$$;
