"use client";

import { type RefObject, useEffect, useState } from "react";

const CHART_MIN = 420;
const GAP = 16;
/** Y axis, margins and the panel's padding around the plot. */
const CHROME = 64 + 12 + 26;
const ROUND = 50;

/** The plot width of one chart in an auto-fill grid of the given width (rounded, so ranges cache well). */
export function plotWidth(gridWidth: number): number {
  const columns = Math.max(1, Math.floor((gridWidth + GAP) / (Math.min(CHART_MIN, gridWidth) + GAP)));
  const column = (gridWidth - GAP * (columns - 1)) / columns;
  return Math.max(ROUND, Math.round((column - CHROME) / ROUND) * ROUND);
}

/** Measures a chart grid and returns its charts' plot width in px (0 until measured). */
export function usePlotWidth(ref: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const update = () => setWidth(plotWidth(element.clientWidth));
    update();
    const observer = new ResizeObserver(update);
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}
