import type { Metadata } from "next";
import { Suspense } from "react";
import { ExploreView } from "./ExploreView";

export const metadata: Metadata = { title: "Explore · Loopscope" };

/** Explore: type a query (the query API's PromQL subset), chart it, turn it into an alert rule or a watched series. */
export default function ExplorePage() {
  return (
    <>
      <h1>Explore</h1>
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <ExploreView />
      </Suspense>
    </>
  );
}
