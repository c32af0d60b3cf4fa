import { ManualClock } from "../../../server/runtime/clock";
import { Controller, type ControllerOptions } from "../../../server/runtime/controller/controller";
import { ItemExponentialRateLimiter } from "../../../server/runtime/workqueue/rate-limiters";

/** Lets every pending promise continuation run (reconciles here settle in microtasks). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** A started controller on a manual clock, with plain 5 ms → 1000 s per-key backoff and no exported metrics. */
export function makeController(reconcile: ControllerOptions["reconcile"], extra: Partial<ControllerOptions> = {}) {
  const clock = new ManualClock();
  const controller = new Controller({ name: "test", reconcile, registry: false, clock, rateLimiter: new ItemExponentialRateLimiter(5, 1_000_000), ...extra });
  controller.start();
  return { clock, controller, m: controller.metrics };
}
