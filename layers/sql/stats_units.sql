-- Figures of a unit (or of each of its children) from the daily rollup, exact to the microsecond.
-- Raw SQL because the three parts below are read from three different indexes and added up per
-- unit, which the ORM cannot say as one statement; one statement keeps the three parts in one
-- snapshot, so they never disagree. The definitions are those of IncidentQuerySet (layers/models.py);
-- layers/stats.py says how the parts add up to them, and the tests check them against plain counts.
--
-- Parameters: prefix (unit code || '%%'), len (code length to group by: the unit's own, or its
-- children's), level (the rollup rows to read: 2 townships, for a county or a township; 3 villages),
-- since, until, as_of, first_day/last_day (the whole UTC days inside [since, until), as dates; may be
-- empty), head_end/tail_start (the partial days at either end are read from the rows).
WITH counted AS (
    -- Whole days: the rollup, kept by triggers (migrations 0004, 0008, 0009).
    SELECT left(unit_code, %(len)s) AS unit, sum(intake) AS intake, sum(closed) AS closed,
           sum(closed_on_time) AS on_time, sum(close_seconds) AS seconds, sum(rated) AS rated,
           sum(satisfied) AS satisfied, sum(satisfaction_sum) AS satisfaction_sum
    FROM layers_incidentday
    WHERE level = %(level)s AND unit_code LIKE %(prefix)s AND day >= %(first_day)s AND day < %(last_day)s
    GROUP BY 1
    UNION ALL
    -- Partial days at either end of the period: the rows themselves.
    SELECT left(grid_code, %(len)s), count(*), count(closed_at),
           count(*) FILTER (WHERE closed_at IS NOT NULL AND (due_at IS NULL OR closed_at <= due_at)),
           sum(extract(epoch FROM closed_at - reported_at)), count(satisfaction),
           count(*) FILTER (WHERE satisfaction >= 4), sum(satisfaction)
    FROM layers_incident
    WHERE grid_code LIKE %(prefix)s
      AND ((reported_at >= %(since)s AND reported_at < %(head_end)s)
           OR (reported_at >= %(tail_start)s AND reported_at < %(until)s))
    GROUP BY 1
), unsettled AS (
    -- The cohort's rows still open at as_of: open now (partial index incident_open), or closed after
    -- as_of (index incident_closed). Their closing does not count yet; past due, they are overdue.
    SELECT left(grid_code, %(len)s) AS unit,
           count(*) FILTER (WHERE due_at < %(as_of)s) AS overdue_open,
           count(closed_at) AS closed,
           count(*) FILTER (WHERE closed_at IS NOT NULL AND (due_at IS NULL OR closed_at <= due_at)) AS on_time,
           sum(extract(epoch FROM closed_at - reported_at)) AS seconds
    FROM (
        SELECT grid_code, reported_at, due_at, closed_at FROM layers_incident
        WHERE closed_at IS NULL AND grid_code LIKE %(prefix)s AND reported_at >= %(since)s AND reported_at < %(until)s
        UNION ALL
        SELECT grid_code, reported_at, due_at, closed_at FROM layers_incident
        WHERE closed_at > %(as_of)s AND grid_code LIKE %(prefix)s AND reported_at >= %(since)s
          AND reported_at < %(until)s
    ) AS open_rows
    GROUP BY 1
), totals AS (
    SELECT unit, sum(intake) AS intake, sum(closed) AS closed, sum(on_time) AS on_time, sum(seconds) AS seconds,
           sum(rated) AS rated, sum(satisfied) AS satisfied, sum(satisfaction_sum) AS satisfaction_sum
    FROM counted GROUP BY unit
)
SELECT t.unit,
       t.intake::bigint,
       (t.closed - COALESCE(u.closed, 0))::bigint AS closed,
       (t.on_time - COALESCE(u.on_time, 0))::bigint AS closed_on_time,
       (t.closed - COALESCE(u.closed, 0) - t.on_time + COALESCE(u.on_time, 0) + COALESCE(u.overdue_open, 0))::bigint
           AS overdue,
       COALESCE(t.seconds, 0) - COALESCE(u.seconds, 0) AS close_seconds,
       t.rated::bigint,
       t.satisfied::bigint,
       t.satisfaction_sum::bigint
FROM totals AS t LEFT JOIN unsettled AS u USING (unit)
WHERE t.intake > 0
