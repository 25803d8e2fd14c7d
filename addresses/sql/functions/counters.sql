-- A deleted building or room keeps its number used: the counter of its prefix is raised to it, so
-- allocation (addresses/allocate.py) never gives the number again. A statement trigger with a
-- transition table: one upsert per DELETE statement, however many rows it removed.
-- TG_ARGV[0] is the prefix length: 12 (buildings: village + 5 digits) or 22 (rooms: building +
-- unit + floor + 3 digits).
CREATE OR REPLACE FUNCTION addresses_keep_deleted_numbers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    width int := TG_ARGV[0]::int;
BEGIN
    INSERT INTO addresses_addresscounter (prefix, last)
    SELECT left(address_code, width), max(substr(address_code, width + 1)::int)
    FROM gone
    WHERE address_code ~ '^[0-9]+$' AND length(address_code) > width
    GROUP BY 1
    ON CONFLICT (prefix) DO UPDATE SET last = GREATEST(addresses_addresscounter.last, EXCLUDED.last);
    RETURN NULL;
END $$;
