-- AlterTable
ALTER TABLE "scrape_targets" ADD COLUMN     "honor_labels" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "stale_markers" (
    "series_id" INTEGER NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "stale_markers_pkey" PRIMARY KEY ("series_id","ts")
);

-- Built-in alert rules are now one per condition over all built-in controllers
-- (alertname "StuckWorker", controller as a label) instead of one per controller
-- ("StuckWorker/pods"); the per-controller ones and their alerts are removed.
DELETE FROM "alert_states" WHERE "rule_id" IN (SELECT "id" FROM "alert_rules" WHERE "builtin" AND "name" ~ '^(QueueBackingUp|QueueGrowing|ReconcileErrors|StuckWorker|LeakGrowth)/.+$');
DELETE FROM "alert_rules" WHERE "builtin" AND "name" ~ '^(QueueBackingUp|QueueGrowing|ReconcileErrors|StuckWorker|LeakGrowth)/.+$';
