/** One point of the active-resource history: live resources by type at `t`. */
export interface ResourceCountPoint {
  t: number;
  counts: Record<string, number>;
}

/**
 * Active resources by type at two instants (the latest points at or before each; the
 * first point if `from` predates them all) and what grew, biggest growth first. This is
 * what a spike of live sockets shows up in even when none of them outlived its reconcile.
 */
export function activeResourceDiff(points: readonly ResourceCountPoint[], from: number, to: number): { type: string; before: number; after: number }[] {
  if (points.length === 0) return [];
  const at = (t: number) => {
    let found = points[0];
    for (const p of points) if (p.t <= t) found = p;
    return found;
  };
  const before = at(from).counts;
  const after = at(to).counts;
  return Object.entries(after)
    .map(([type, count]) => ({ type, before: before[type] ?? 0, after: count }))
    .filter((row) => row.after > row.before)
    .sort((a, b) => b.after - b.before - (a.after - a.before));
}
