-- AlterTable
ALTER TABLE "anomaly_windows" ADD COLUMN     "explained_by" TEXT;
