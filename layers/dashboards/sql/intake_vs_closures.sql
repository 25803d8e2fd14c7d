-- Incidents reported and incidents closed per day/week/month of a period (local time), with empty
-- buckets kept as zeros so the chart's time axis has no holes.
WITH buckets AS (
    SELECT generate_series(date_trunc(%(bucket)s, %(first)s::timestamp),
                           %(last)s::timestamp, ('1 ' || %(bucket)s)::interval) AS b
),
intake AS (
    SELECT date_trunc(%(bucket)s, i.reported_at AT TIME ZONE %(tz)s) AS b, count(*)::int AS n
    FROM layers_incident i
    WHERE i.reported_at >= %(since)s AND i.reported_at < %(until)s AND {unit}{category}
    GROUP BY 1
),
closures AS (
    SELECT date_trunc(%(bucket)s, i.closed_at AT TIME ZONE %(tz)s) AS b, count(*)::int AS n
    FROM layers_incident i
    WHERE i.status = 'closed' AND i.closed_at >= %(since)s AND i.closed_at < %(until)s AND {unit}{category}
    GROUP BY 1
)
SELECT bk.b::date AS bucket, coalesce(n.n, 0) AS intake, coalesce(c.n, 0) AS closures
FROM buckets bk LEFT JOIN intake n USING (b) LEFT JOIN closures c USING (b)
ORDER BY 1
