-- CreateTable
CREATE TABLE "leases" (
    "name" TEXT NOT NULL,
    "group" TEXT NOT NULL,
    "holder_identity" TEXT NOT NULL,
    "lease_duration_seconds" INTEGER NOT NULL,
    "acquire_time" TIMESTAMPTZ(3) NOT NULL,
    "renew_time" TIMESTAMPTZ(3) NOT NULL,
    "lease_transitions" INTEGER NOT NULL DEFAULT 0,
    "version" BIGINT NOT NULL DEFAULT 1,

    CONSTRAINT "leases_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "leases_group_idx" ON "leases"("group");
