-- Everything an intake needs to know about its report, in one round trip: the function's body, in
-- migration 0006, says what and why (it is a function so that it runs with a generic plan).
SELECT * FROM gridmap_intake_context(
    %(client_id)s::text, %(address_code)s::text, %(lon)s::float8, %(lat)s::float8, %(today)s::date,
    %(snap_m)s::float8, %(snap_dx)s::float8, %(snap_dy)s::float8, %(category)s::text, %(severity)s::text,
    %(dup_since)s::timestamptz, %(dup_m)s::float8, %(dup_dx)s::float8, %(dup_dy)s::float8, %(user_id)s::bigint)
