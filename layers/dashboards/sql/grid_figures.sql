-- The figures of each basic grid of a unit for one period: the one scan a page's figures are summed
-- from (the unit's KPIs, its child units' rows, the heat map's weights).
SELECT i.grid_code AS grid,
       {figures}
FROM layers_incident i
WHERE i.reported_at >= %(since)s AND i.reported_at < %(until)s AND {unit}{category}
GROUP BY 1
