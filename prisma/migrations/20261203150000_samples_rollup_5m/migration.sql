-- The five-minute rollup `samples_5m`: the columns and meaning of `samples_1m`, row
-- `bucket` = s summarising the samples in (s, s + 300 s]. Partitioned by UTC day like
-- `samples_1m` (samples_5m_pYYYYMMDD: bucket in [D, D + 1 day), with the same bounds as
-- that day's samples_1m partition, so retention drops the three tables' days together).
-- Backfilled from `samples_1m`: a block combines its minutes in time order, the step
-- from one minute's last value to the next one's first counted with the reset rule.

CREATE TABLE "samples_5m" (
    "series_id" INTEGER NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "n" INTEGER NOT NULL,
    "first_ts" TIMESTAMPTZ(3) NOT NULL,
    "first_v" DOUBLE PRECISION NOT NULL,
    "last_ts" TIMESTAMPTZ(3) NOT NULL,
    "last_v" DOUBLE PRECISION NOT NULL,
    "inc" DOUBLE PRECISION NOT NULL,
    "min_v" DOUBLE PRECISION NOT NULL,
    "max_v" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "samples_5m_pkey" PRIMARY KEY ("series_id","bucket")
) PARTITION BY RANGE ("bucket");

DO $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = '"samples_1m"'::regclass AND c.relname LIKE 'samples\_1m\_p%'
  LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF "samples_5m" %s', 'samples_5m_p' || substr(r.name, 13), r.bound);
  END LOOP;
END
$$;

INSERT INTO "samples_5m" ("series_id", "bucket", "n", "first_ts", "first_v", "last_ts", "last_v", "inc", "min_v", "max_v")
SELECT series_id, b5, sum(n)::int, min(first_ts), sum(first_v) FILTER (WHERE plv IS NULL), max(last_ts), sum(last_v) FILTER (WHERE nfv IS NULL),
  sum(inc) + coalesce(sum(first_v - plv) FILTER (WHERE first_v >= plv), 0) + coalesce(sum(first_v) FILTER (WHERE first_v < plv), 0),
  min(min_v), max(max_v)
FROM (
  SELECT series_id, b5, n, first_ts, first_v, last_ts, last_v, inc, min_v, max_v,
    lag(last_v) OVER w AS plv, lead(first_v) OVER w AS nfv
  FROM (SELECT *, to_timestamp(floor(date_part('epoch', bucket) / 300) * 300) AS b5 FROM "samples_1m") m
  WINDOW w AS (PARTITION BY series_id, b5 ORDER BY bucket)
) x
GROUP BY series_id, b5;
