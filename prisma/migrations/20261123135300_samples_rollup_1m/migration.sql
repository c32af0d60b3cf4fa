-- CreateTable
CREATE TABLE "samples_1m" (
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

    CONSTRAINT "samples_1m_pkey" PRIMARY KEY ("series_id","bucket")
);

-- Backfill: roll up the samples stored before this migration (row bucket = s covers ts in (s, s + 1 min]).
INSERT INTO "samples_1m" ("series_id", "bucket", "n", "first_ts", "first_v", "last_ts", "last_v", "inc", "min_v", "max_v")
SELECT series_id, m, count(*)::int, min(ts), sum(value) FILTER (WHERE prev IS NULL), max(ts), sum(value) FILTER (WHERE next IS NULL),
  coalesce(sum(value - prev) FILTER (WHERE value >= prev), 0) + coalesce(sum(value) FILTER (WHERE value < prev), 0),
  min(value), max(value)
FROM (
  SELECT series_id, ts, value, m, lag(value) OVER w AS prev, lead(value) OVER w AS next
  FROM (SELECT series_id, ts, value, date_trunc('minute', ts - interval '1 millisecond') AS m FROM "samples") s
  WINDOW w AS (PARTITION BY series_id, m ORDER BY ts)
) x
GROUP BY series_id, m;
