/** A label set: label name → value. An empty value is the same as a missing label. */
export type Labels = Record<string, string>;

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;
const SEPARATOR = 0xff;
const encoder = new TextEncoder();

function fnvAdd(hash: bigint, bytes: Uint8Array): bigint {
  let h = hash;
  for (const byte of bytes) {
    h ^= BigInt(byte);
    h = (h * FNV_PRIME) & MASK_64;
  }
  return h;
}

/**
 * The alert's identity, computed exactly as Prometheus' `model.LabelSet.Fingerprint()`
 * (FNV-1a 64 over sorted name/value pairs with 0xff separators), printed as 16 hex
 * digits like Alertmanager's `fingerprint` field. Empty values are dropped first.
 */
export function fingerprint(labels: Labels): string {
  const names = Object.keys(labels)
    .filter((name) => labels[name] !== "")
    .sort();
  let hash = FNV_OFFSET;
  const separator = Uint8Array.of(SEPARATOR);
  for (const name of names) {
    hash = fnvAdd(hash, encoder.encode(name));
    hash = fnvAdd(hash, separator);
    hash = fnvAdd(hash, encoder.encode(labels[name]));
    hash = fnvAdd(hash, separator);
  }
  return hash.toString(16).padStart(16, "0");
}

/** `{a="1", b="2"}` with sorted names, as Prometheus prints a label set. */
export function formatLabels(labels: Labels): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`);
  return `{${pairs.join(", ")}}`;
}

/** A copy without empty values, with names sorted (stable JSON). */
export function normalizeLabels(labels: Labels): Labels {
  const out: Labels = {};
  for (const name of Object.keys(labels).sort()) {
    if (labels[name] !== "") out[name] = labels[name];
  }
  return out;
}

/** Reads a JSON column into a label set, keeping string values only. */
export function labelsFromJson(value: unknown): Labels {
  const out: Labels = {};
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [name, v] of Object.entries(value)) if (typeof v === "string") out[name] = v;
  }
  return out;
}
