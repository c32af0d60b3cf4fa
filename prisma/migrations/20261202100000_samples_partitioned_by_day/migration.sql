-- Time-partitioned samples: `samples` and its one-minute rollup `samples_1m` become
-- declaratively partitioned by range, one partition per UTC day D (the shape is not
-- expressible in schema.prisma; the columns, keys and indexes are unchanged):
--   samples_pYYYYMMDD    ts     in (D, D + 1 day]   (bounds D + 1 ms .. D + 1 day + 1 ms)
--   samples_1m_pYYYYMMDD bucket in [D, D + 1 day)
-- A rollup row `bucket = s` summarises the samples in (s, s + 1 min], so a day's rollup
-- rows and their samples are in partitions of the same day, and retention drops both.
-- Existing rows are moved; partitions are made for every day they cover and for the
-- days around now (Loopscope makes the later ones itself, ahead of time).

ALTER TABLE "samples" RENAME TO "samples_unpartitioned";
ALTER INDEX "samples_pkey" RENAME TO "samples_unpartitioned_pkey";
ALTER INDEX "samples_ts_brin" RENAME TO "samples_unpartitioned_ts_brin";
ALTER TABLE "samples_1m" RENAME TO "samples_1m_unpartitioned";
ALTER INDEX "samples_1m_pkey" RENAME TO "samples_1m_unpartitioned_pkey";
-- PostgreSQL 18 names NOT NULL constraints (<table>_<column>_not_null); free the names
-- for the new tables (no such constraints before 18: nothing to rename there).
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT conname, conrelid::regclass::text AS rel FROM pg_constraint
    WHERE contype = 'n' AND conrelid IN ('"samples_unpartitioned"'::regclass, '"samples_1m_unpartitioned"'::regclass)
  LOOP
    EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', r.rel, r.conname, r.conname || '_old');
  END LOOP;
END
$$;

CREATE TABLE "samples" (
    "series_id" INTEGER NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "samples_pkey" PRIMARY KEY ("series_id","ts")
) PARTITION BY RANGE ("ts");

CREATE INDEX "samples_ts_brin" ON "samples" USING BRIN ("ts");

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
) PARTITION BY RANGE ("bucket");

DO $$
DECLARE
  d date;
  lo timestamptz;
BEGIN
  FOR d IN
    SELECT DISTINCT ((ts - interval '1 millisecond') AT TIME ZONE 'UTC')::date FROM "samples_unpartitioned"
    UNION SELECT DISTINCT (bucket AT TIME ZONE 'UTC')::date FROM "samples_1m_unpartitioned"
    UNION SELECT (now() AT TIME ZONE 'UTC')::date + i FROM generate_series(-1, 3) AS i
  LOOP
    lo := d::timestamp AT TIME ZONE 'UTC';
    EXECUTE format('CREATE TABLE %I PARTITION OF "samples" FOR VALUES FROM (%L) TO (%L)',
      'samples_p' || to_char(d, 'YYYYMMDD'),
      to_char((lo + interval '1 millisecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') || '+00',
      to_char((lo + interval '1 day 1 millisecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') || '+00');
    EXECUTE format('CREATE TABLE %I PARTITION OF "samples_1m" FOR VALUES FROM (%L) TO (%L)',
      'samples_1m_p' || to_char(d, 'YYYYMMDD'),
      to_char(lo AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') || '+00',
      to_char((lo + interval '1 day') AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') || '+00');
  END LOOP;
END
$$;

INSERT INTO "samples" ("series_id", "ts", "value") SELECT "series_id", "ts", "value" FROM "samples_unpartitioned";
INSERT INTO "samples_1m" SELECT * FROM "samples_1m_unpartitioned";
DROP TABLE "samples_unpartitioned";
DROP TABLE "samples_1m_unpartitioned";
