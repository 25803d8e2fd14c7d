-- One unit's figures for the chosen period and the one before it, in one pass over the incidents
-- reported in either (the reported_at index bounds the scan).
SELECT CASE WHEN i.reported_at >= %(since)s THEN 'current' ELSE 'previous' END AS period,
       {figures}
FROM layers_incident i
WHERE i.reported_at >= %(previous)s AND i.reported_at < %(until)s AND {unit}{category}
GROUP BY 1
