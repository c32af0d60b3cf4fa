"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef } from "react";
import { readUrlState, writeUrlState } from "./url-state";

export type UrlStatePatch<T> = { [K in keyof T]?: string | null };

export interface UrlStateOptions {
  /** "replace" (default) keeps the back button for page changes; "push" makes every change a history entry. */
  history?: "replace" | "push";
}

/**
 * View state (range, refresh, selected tab…) kept in the URL query, so a copied link reproduces the
 * view. Values are strings; parameters equal to their default are left out of the URL. Several
 * updates in the same tick are merged rather than lost.
 *
 * Uses `useSearchParams`, so a statically rendered page must wrap the component in `<Suspense>`.
 */
export function useUrlState<T extends Record<string, string>>(
  defaults: T,
  options: UrlStateOptions = {},
): [T, (patch: UrlStatePatch<T>, options?: UrlStateOptions) => void] {
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const query = searchParams.toString();
  const defaultsKey = JSON.stringify(defaults);
  // biome-ignore lint/correctness/useExhaustiveDependencies: defaults are compared by value (defaultsKey), not identity.
  const state = useMemo(() => readUrlState(new URLSearchParams(query), defaults), [query, defaultsKey]);

  // The query we last navigated to but the router has not reported back yet.
  const pending = useRef<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset whenever the router reports a new query.
  useEffect(() => {
    pending.current = null;
  }, [query]);

  const mode = options.history ?? "replace";
  const setState = useCallback(
    (patch: UrlStatePatch<T>, override?: UrlStateOptions) => {
      const base = pending.current ?? query;
      const next = writeUrlState(base, patch as Record<string, string | null | undefined>, JSON.parse(defaultsKey) as Record<string, string>);
      if (next === base) return;
      pending.current = next;
      const href = `${next ? `${pathname}?${next}` : pathname}${window.location.hash}`;
      // The browser's own history API: Next keeps useSearchParams in sync with it, and unlike
      // router.push it needs no server round trip, so the page reacts (and shows it is loading) at once.
      if ((override?.history ?? mode) === "push") window.history.pushState(null, "", href);
      else window.history.replaceState(null, "", href);
    },
    [query, pathname, mode, defaultsKey],
  );

  return [state, setState];
}
