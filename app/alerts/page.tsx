import type { Metadata } from "next";
import { Suspense } from "react";
import { AlertsView } from "./AlertsView";

export const metadata: Metadata = { title: "Alerts · Loopscope" };

/** Alerts: firing and pending alerts, history, rules, silences, channels and deliveries. */
export default function AlertsPage() {
  return (
    <>
      <h1>Alerts</h1>
      <Suspense fallback={<p className="muted">Loading alerts…</p>}>
        <AlertsView />
      </Suspense>
    </>
  );
}
