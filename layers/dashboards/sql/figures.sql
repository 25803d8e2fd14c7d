-- The figures leaders read, over the incidents `i` of one group (a fragment). All of them add up, so
-- a unit's figures are the sums of its grids' and its row in its parent's table can never disagree:
--   overdue  open past its due time, or closed after it
--   on_time  closed no later than its due time, or closed with no due time (as layers.stats counts it)
--   rated    has a satisfaction score (1-5); satisfied: 4 or 5
count(*)::int AS intake,
count(*) FILTER (WHERE i.status = ANY(%(open)s))::int AS open,
count(*) FILTER (WHERE (i.status = ANY(%(open)s) AND i.due_at < now())
                    OR (i.status = 'closed' AND i.closed_at > i.due_at))::int AS overdue,
count(*) FILTER (WHERE i.status = 'closed')::int AS closed,
count(*) FILTER (WHERE i.status = 'closed' AND (i.due_at IS NULL OR i.closed_at <= i.due_at))::int AS on_time,
count(i.satisfaction)::int AS rated,
count(*) FILTER (WHERE i.satisfaction >= 4)::int AS satisfied,
coalesce(sum(i.satisfaction), 0)::float8 AS satisfaction_sum,
(coalesce(sum(extract(epoch FROM i.closed_at - i.reported_at)) FILTER (WHERE i.status = 'closed'), 0) / 3600)::float8
    AS hours_sum
