import type { ReactNode } from "react";

/**
 * A table wrapper that scrolls horizontally on narrow screens instead of squeezing columns.
 * Focusable so keyboard users can scroll it.
 */
export function TableScroll({ label, testId, children }: { label: string; testId?: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable for keyboard scrolling.
    <section className="table-scroll" aria-label={label} tabIndex={0} data-testid={testId}>
      {children}
    </section>
  );
}
