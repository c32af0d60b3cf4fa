import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../server/trpc/root";

/** What the alerts and targets routers return, as the browser receives it (dates as strings). */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export type RuleItem = RouterOutputs["alerts"]["rules"]["list"]["rules"][number];
export type AlertItem = RouterOutputs["alerts"]["list"][number];
export type AlertEventItem = RouterOutputs["alerts"]["history"][number];
export type SilenceItem = RouterOutputs["alerts"]["silences"]["list"][number];
export type ChannelItem = RouterOutputs["alerts"]["channels"]["list"][number];
export type DeliveryItem = RouterOutputs["alerts"]["deliveries"]["list"][number];
export type RulePreviewResult = RouterOutputs["alerts"]["rules"]["preview"];
export type TargetItem = RouterOutputs["targets"]["list"][number];

/** Epoch ms of a time the API sent as a Date, an ISO string or a number; null when absent or invalid. */
export function toMs(value: Date | string | number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const ms = typeof value === "number" ? value : new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}
