/** A label set as `name=value` chips, sorted by name. */
export function LabelChips({ labels, omit = [] }: { labels: Record<string, string>; omit?: readonly string[] }) {
  const entries = Object.entries(labels)
    .filter(([k]) => !omit.includes(k))
    .sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return null;
  return (
    <span className="chips">
      {entries.map(([k, v]) => (
        <code key={k} className="chip">
          {k}={v}
        </code>
      ))}
    </span>
  );
}
