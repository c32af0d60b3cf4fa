import { AsyncLocalStorage } from "node:async_hooks";

/** Which reconcile is running. Every reconcile runs inside this context. */
export interface ReconcileContext {
  controller: string;
  key: string;
  reconcileId: number;
  startedAt: number;
}

export const reconcileContext = new AsyncLocalStorage<ReconcileContext>();

export function currentReconcile(): ReconcileContext | undefined {
  return reconcileContext.getStore();
}
