-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "alert_rules" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "spec" JSONB NOT NULL,
    "for_ms" INTEGER NOT NULL DEFAULT 0,
    "keep_firing_for_ms" INTEGER NOT NULL DEFAULT 0,
    "interval_ms" INTEGER NOT NULL DEFAULT 15000,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "annotations" JSONB NOT NULL DEFAULT '{}',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "builtin" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "alert_rules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_states" (
    "id" SERIAL NOT NULL,
    "rule_id" INTEGER NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "labels" JSONB NOT NULL,
    "annotations" JSONB NOT NULL,
    "state" TEXT NOT NULL,
    "value" DOUBLE PRECISION,
    "active_at" TIMESTAMPTZ(3) NOT NULL,
    "fired_at" TIMESTAMPTZ(3),
    "last_true_at" TIMESTAMPTZ(3),
    "resolved_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "alert_states_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_events" (
    "id" SERIAL NOT NULL,
    "rule_id" INTEGER NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "labels" JSONB NOT NULL,
    "state" TEXT NOT NULL,
    "value" DOUBLE PRECISION,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "alert_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "silences" (
    "id" SERIAL NOT NULL,
    "matchers" JSONB NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "created_by" TEXT NOT NULL,
    "comment" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "silences_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "channels" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "url_encrypted" TEXT NOT NULL,
    "url_masked" TEXT NOT NULL,
    "secret_encrypted" TEXT,
    "matchers" JSONB NOT NULL DEFAULT '[]',
    "group_by" JSONB NOT NULL DEFAULT '["alertname"]',
    "group_wait_ms" INTEGER NOT NULL DEFAULT 30000,
    "group_interval_ms" INTEGER NOT NULL DEFAULT 300000,
    "repeat_interval_ms" INTEGER NOT NULL DEFAULT 14400000,
    "send_resolved" BOOLEAN NOT NULL DEFAULT true,
    "fallback_channel_id" INTEGER,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "channels_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification_groups" (
    "id" SERIAL NOT NULL,
    "channel_id" INTEGER NOT NULL,
    "group_key" TEXT NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "last_flush_at" TIMESTAMPTZ(3),
    "last_sent_hash" TEXT,
    "last_sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "notification_groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notifications" (
    "id" SERIAL NOT NULL,
    "channel_id" INTEGER NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "group_key" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    "last_status_code" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "notifications_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "watched_series" (
    "id" SERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "query" JSONB NOT NULL,
    "sensitivity" TEXT NOT NULL DEFAULT 'medium',
    "controller" TEXT,
    "builtin" BOOLEAN NOT NULL DEFAULT false,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "state" JSONB,
    "last_ts" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "watched_series_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "anomaly_windows" (
    "id" SERIAL NOT NULL,
    "series_key" TEXT NOT NULL,
    "controller" TEXT,
    "detector" TEXT NOT NULL,
    "params" JSONB NOT NULL,
    "start_at" TIMESTAMPTZ(3) NOT NULL,
    "end_at" TIMESTAMPTZ(3),
    "peak_score" DOUBLE PRECISION NOT NULL,
    "direction" TEXT NOT NULL,

    CONSTRAINT "anomaly_windows_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "series" (
    "id" SERIAL NOT NULL,
    "hash" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "labels" JSONB NOT NULL,
    "type" TEXT NOT NULL,
    "help" TEXT NOT NULL DEFAULT '',
    "source" TEXT NOT NULL,
    "target_id" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "series_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "samples" (
    "series_id" INTEGER NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "samples_pkey" PRIMARY KEY ("series_id","ts")
);

-- CreateTable
CREATE TABLE "scrape_targets" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "interval_ms" INTEGER NOT NULL DEFAULT 15000,
    "timeout_ms" INTEGER NOT NULL DEFAULT 10000,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "auth_kind" TEXT NOT NULL DEFAULT 'none',
    "auth_user" TEXT,
    "auth_secret" TEXT,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "origin" TEXT NOT NULL DEFAULT 'api',
    "up" BOOLEAN,
    "last_scrape_at" TIMESTAMPTZ(3),
    "last_duration_ms" DOUBLE PRECISION,
    "last_samples" INTEGER,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "scrape_targets_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "alert_rules_name_key" ON "alert_rules"("name");

-- CreateIndex
CREATE UNIQUE INDEX "alert_states_rule_id_fingerprint_key" ON "alert_states"("rule_id", "fingerprint");

-- CreateIndex
CREATE INDEX "alert_events_at_idx" ON "alert_events"("at");

-- CreateIndex
CREATE INDEX "alert_events_rule_id_at_idx" ON "alert_events"("rule_id", "at");

-- CreateIndex
CREATE UNIQUE INDEX "channels_name_key" ON "channels"("name");

-- CreateIndex
CREATE UNIQUE INDEX "notification_groups_channel_id_group_key_key" ON "notification_groups"("channel_id", "group_key");

-- CreateIndex
CREATE UNIQUE INDEX "notifications_idempotency_key_key" ON "notifications"("idempotency_key");

-- CreateIndex
CREATE INDEX "notifications_state_next_attempt_at_idx" ON "notifications"("state", "next_attempt_at");

-- CreateIndex
CREATE INDEX "notifications_channel_id_created_at_idx" ON "notifications"("channel_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "watched_series_key_key" ON "watched_series"("key");

-- CreateIndex
CREATE INDEX "anomaly_windows_series_key_start_at_idx" ON "anomaly_windows"("series_key", "start_at");

-- CreateIndex
CREATE INDEX "anomaly_windows_start_at_idx" ON "anomaly_windows"("start_at");

-- CreateIndex
CREATE UNIQUE INDEX "series_hash_key" ON "series"("hash");

-- CreateIndex
CREATE INDEX "series_metric_idx" ON "series"("metric");

-- CreateIndex
CREATE INDEX "series_source_idx" ON "series"("source");

-- CreateIndex
CREATE UNIQUE INDEX "scrape_targets_name_key" ON "scrape_targets"("name");

-- Loopscope (plain SQL Prisma cannot express): a BRIN index keeps time-range scans and
-- retention deletes cheap on the append-only samples table.
CREATE INDEX "samples_ts_brin" ON "samples" USING BRIN ("ts");
