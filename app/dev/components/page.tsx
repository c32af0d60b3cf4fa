import type { Metadata } from "next";
import { Suspense } from "react";
import { Gallery } from "./Gallery";

export const metadata: Metadata = {
  title: "Component gallery · Loopscope",
  robots: { index: false, follow: false },
};

/**
 * COMPONENT GALLERY — a developer page, not part of the product's navigation. It renders every
 * dashboard component in components/ with synthetic, deterministic data (for screenshots and
 * visual checks). No data fetching.
 */
export default function ComponentGalleryPage() {
  return (
    <div className="gallery">
      <h1>Component gallery</h1>
      <p className="muted gallery-note">
        Developer page: every dashboard component rendered with synthetic data. Nothing here comes from the running system.
      </p>
      <Suspense fallback={<p className="muted">Loading gallery…</p>}>
        <Gallery />
      </Suspense>
    </div>
  );
}
