import type { Metadata } from "next";
import { Suspense } from "react";
import { TargetsView } from "./TargetsView";

export const metadata: Metadata = { title: "Targets · Loopscope" };

/** Scrape targets: health (up, last scrape, duration, samples, error), add / edit / remove / scrape now. */
export default function TargetsPage() {
  return (
    <>
      <h1>Scrape targets</h1>
      <Suspense fallback={<p className="muted">Loading targets…</p>}>
        <TargetsView />
      </Suspense>
    </>
  );
}
