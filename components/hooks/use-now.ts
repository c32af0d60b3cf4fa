"use client";

import { useEffect, useState } from "react";

/**
 * The current time, re-read every `intervalMs` unless paused: drives relative ranges ("last 1h")
 * and "x ago" labels together with auto-refresh. `initial` is what the first render shows, so
 * server and client agree (pass a timestamp from the server, or 0 and render nothing time-based
 * until mounted).
 */
export function useNow(intervalMs: number, paused = false, initial?: number): number {
  const [now, setNow] = useState(() => initial ?? Date.now());
  useEffect(() => {
    setNow(Date.now());
    if (paused || intervalMs <= 0) return;
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, paused]);
  return now;
}
