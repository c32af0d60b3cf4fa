-- AlterTable
ALTER TABLE "scrape_targets" ADD COLUMN     "pprof_url" TEXT;

-- CreateTable
CREATE TABLE "goroutine_groups" (
    "id" SERIAL NOT NULL,
    "target_id" INTEGER NOT NULL,
    "key_hash" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "top_frame" TEXT,
    "stack" JSONB NOT NULL,
    "first_seen" TIMESTAMPTZ(3) NOT NULL,
    "last_seen" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "goroutine_groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "goroutine_snapshots" (
    "target_id" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "total" INTEGER NOT NULL,
    "group_ids" INTEGER[],
    "counts" INTEGER[],
    "leaked" INTEGER,

    CONSTRAINT "goroutine_snapshots_pkey" PRIMARY KEY ("target_id","at")
);

-- CreateIndex
CREATE INDEX "goroutine_groups_target_id_last_seen_idx" ON "goroutine_groups"("target_id", "last_seen");

-- CreateIndex
CREATE UNIQUE INDEX "goroutine_groups_target_id_key_hash_key" ON "goroutine_groups"("target_id", "key_hash");
