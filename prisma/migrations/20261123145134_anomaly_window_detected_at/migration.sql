-- AlterTable
ALTER TABLE "anomaly_windows" ADD COLUMN     "detected_at" TIMESTAMPTZ(3);
