import dns from "node:dns";
import type { LookupAddress, LookupOptions } from "node:dns";
import { isIPv4, isIPv6 } from "node:net";

/**
 * Which addresses Loopscope may open connections to on a user's behalf (scrape targets,
 * alert webhooks): the address half of the one outbound policy (server/outbound/policy.ts). A URL typed into a form must not be a way to read the cloud
 * metadata service (instance credentials) or other link-local services. The check is
 * applied to the URL's host before connecting and again to every address DNS returns,
 * at connect time, so a name that resolves to a forbidden address is refused too.
 */
export interface OutboundPolicy {
  /** 169.254.0.0/16 and fe80::/10 (other than the metadata addresses). */
  readonly allowLinkLocal: boolean;
  /** Cloud metadata endpoints, by address (169.254.169.254, fd00:ec2::254, …) or name (metadata.google.internal). */
  readonly allowMetadata: boolean;
  /** RFC 1918, CGNAT 100.64.0.0/10 and unique-local fc00::/7: where in-cluster targets live. */
  readonly allowPrivate: boolean;
  /** 127.0.0.0/8, ::1, 0.0.0.0, :: and `localhost`. */
  readonly allowLoopback: boolean;
}

/** The default for scrapes and webhooks: in-cluster and local endpoints are fine; link-local and metadata are not. */
export const DEFAULT_OUTBOUND_POLICY: OutboundPolicy = Object.freeze({
  allowLinkLocal: false,
  allowMetadata: false,
  allowPrivate: true,
  allowLoopback: true,
});

/** @deprecated the same as {@link DEFAULT_OUTBOUND_POLICY}. */
export const SCRAPE_OUTBOUND_POLICY: OutboundPolicy = DEFAULT_OUTBOUND_POLICY;

/** Public internet only (e.g. chat webhooks when private targets are not allowed). */
export const PUBLIC_ONLY_OUTBOUND_POLICY: OutboundPolicy = Object.freeze({
  allowLinkLocal: false,
  allowMetadata: false,
  allowPrivate: false,
  allowLoopback: false,
});

export type AddressClass = "public" | "loopback" | "private" | "link-local" | "metadata" | "multicast" | "reserved";

export type OutboundVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** Thrown (or passed to a lookup callback) when a connection is refused by the policy. */
export class OutboundRefusedError extends Error {
  readonly code = "LOOPSCOPE_OUTBOUND_REFUSED";
  constructor(message: string) {
    super(message);
    this.name = "OutboundRefusedError";
  }
}

const METADATA_ADDRESSES = new Set([
  "169.254.169.254", // AWS, Azure, GCP, OpenStack, DigitalOcean, Oracle
  "169.254.170.2", // AWS ECS task metadata
  "169.254.170.23", // AWS EKS pod identity agent
  "100.100.100.200", // Alibaba Cloud
  "fd00:ec2::254", // AWS IMDS over IPv6
  "fd00:ec2::23", // AWS EKS pod identity agent over IPv6
]);

const METADATA_NAMES = new Set(["metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"]);

/** The class of an IP address, or undefined when `address` is not an IP literal. */
export function classifyAddress(address: string): AddressClass | undefined {
  const ip = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (isIPv4(ip)) return classifyV4(ip.split(".").map(Number));
  if (!isIPv6(ip)) return undefined;
  const words = ipv6Words(ip.split("%")[0]);
  if (METADATA_ADDRESSES.has(formatV6(words))) return "metadata";
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible-ish and NAT64 (64:ff9b::/96) forms reach the embedded IPv4 address.
  const embedsV4 =
    (words.slice(0, 5).every((w) => w === 0) && (words[5] === 0xffff || words[5] === 0) && (words[6] !== 0 || words[5] === 0xffff)) ||
    (words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((w) => w === 0));
  if (embedsV4) return classifyV4([words[6] >> 8, words[6] & 0xff, words[7] >> 8, words[7] & 0xff]);
  if (words.every((w) => w === 0)) return "loopback"; // :: (unspecified) reaches the local host
  if (words.slice(0, 7).every((w) => w === 0) && words[7] === 1) return "loopback";
  if ((words[0] & 0xffc0) === 0xfe80) return "link-local";
  if ((words[0] & 0xfe00) === 0xfc00) return "private";
  if ((words[0] & 0xff00) === 0xff00) return "multicast";
  return "public";
}

function classifyV4(octets: number[]): AddressClass {
  const [a, b] = octets;
  if (METADATA_ADDRESSES.has(octets.join("."))) return "metadata";
  if (a === 127 || a === 0) return "loopback"; // 0.0.0.0/8 connects to the local host on Linux
  if (a === 169 && b === 254) return "link-local";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return "private";
  if (a >= 224 && a <= 239) return "multicast";
  if (a >= 240) return "reserved";
  return "public";
}

/** The eight 16-bit words of a valid IPv6 literal (net.isIPv6 has accepted it). */
function ipv6Words(ip: string): number[] {
  // A trailing dotted quad (::ffff:169.254.169.254) becomes two hex words.
  const text = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((h) => Number.parseInt(h, 16)));
  const gap = text.indexOf("::");
  if (gap === -1) return parse(text);
  const head = parse(text.slice(0, gap));
  const tail = parse(text.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

function formatV6(words: number[]): string {
  // Canonical enough for the metadata table: lowercase, longest zero run compressed.
  let bestStart = -1;
  let bestLength = 0;
  for (let k = 0; k < 8; ) {
    if (words[k] !== 0) {
      k++;
      continue;
    }
    let j = k;
    while (j < 8 && words[j] === 0) j++;
    if (j - k > bestLength) {
      bestStart = k;
      bestLength = j - k;
    }
    k = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestLength < 2) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

const CLASS_TEXT: Record<Exclude<AddressClass, "public">, string> = {
  loopback: "a loopback address",
  private: "a private-network address",
  "link-local": "a link-local address",
  metadata: "a cloud metadata endpoint",
  multicast: "a multicast address",
  reserved: "a reserved address",
};

/** The setting that allows each refusable class, named in the refusal so the operator knows what to change. */
const ALLOWED_BY: Partial<Record<AddressClass, string>> = {
  "link-local": "LOOPSCOPE_ALLOW_LINK_LOCAL_TARGETS",
  metadata: "LOOPSCOPE_ALLOW_METADATA_TARGETS",
};

function refusal(what: string, cls: Exclude<AddressClass, "public">): OutboundVerdict {
  const setting = ALLOWED_BY[cls];
  const hint = setting ? `; set ${setting}=true to allow it` : cls === "multicast" || cls === "reserved" ? "; no setting allows it" : "";
  return { allowed: false, reason: `refused to connect to ${what}: it is ${CLASS_TEXT[cls]}${hint}` };
}

function permits(policy: OutboundPolicy, cls: AddressClass): boolean {
  switch (cls) {
    case "public":
      return true;
    case "loopback":
      return policy.allowLoopback;
    case "private":
      return policy.allowPrivate;
    case "link-local":
      return policy.allowLinkLocal;
    case "metadata":
      return policy.allowMetadata;
    default:
      return false;
  }
}

/** Pure: may a connection go to this IP address? */
export function checkOutboundAddress(address: string, policy: OutboundPolicy): OutboundVerdict {
  const cls = classifyAddress(address);
  if (cls === undefined) return { allowed: false, reason: `${address} is not an IP address` };
  if (permits(policy, cls)) return { allowed: true };
  return refusal(address, cls as Exclude<AddressClass, "public">);
}

/**
 * Pure: may a URL with this host be fetched? IP literals are decided here; names are
 * refused only when they are known metadata or loopback names; every other name is
 * decided by {@link resolveAndCheck} / {@link guardedLookup} once it is resolved.
 */
export function checkOutboundHost(hostname: string, policy: OutboundPolicy): OutboundVerdict {
  const host = hostname.toLowerCase().replace(/\.$/, "").replace(/^\[(.*)\]$/, "$1");
  if (classifyAddress(host) !== undefined) return checkOutboundAddress(host, policy);
  if (METADATA_NAMES.has(host) && !policy.allowMetadata) return refusal(host, "metadata");
  if ((host === "localhost" || host.endsWith(".localhost")) && !policy.allowLoopback) return refusal(host, "loopback");
  return { allowed: true };
}

export type Resolver = (hostname: string) => Promise<readonly LookupAddress[]>;

const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/**
 * Resolves `hostname` and checks every address it has (one forbidden address is enough
 * to refuse: DNS may hand out either). For senders that resolve before connecting.
 */
export async function resolveAndCheck(
  hostname: string,
  policy: OutboundPolicy,
  resolve: Resolver = systemResolver,
): Promise<{ ok: true; addresses: string[] } | { ok: false; reason: string }> {
  const verdict = checkOutboundHost(hostname, policy);
  if (!verdict.allowed) return { ok: false, reason: verdict.reason };
  const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  if (classifyAddress(host) !== undefined) return { ok: true, addresses: [host] };
  let addresses: readonly LookupAddress[];
  try {
    addresses = await resolve(host);
  } catch (error) {
    return { ok: false, reason: `cannot resolve ${host}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  if (addresses.length === 0) return { ok: false, reason: `cannot resolve ${host}: no addresses` };
  for (const { address } of addresses) {
    const check = checkOutboundAddress(address, policy);
    if (!check.allowed) return { ok: false, reason: `${host} resolves to ${address}; ${check.reason}` };
  }
  return { ok: true, addresses: addresses.map((a) => a.address) };
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net/tls/undici `connect` options that resolves like dns.lookup and
 * fails with {@link OutboundRefusedError} when any resolved address is forbidden. This
 * closes the gap between checking a name and connecting to it (DNS rebinding).
 * `resolve` replaces the system resolver (custom DNS, tests).
 */
export function guardedLookup(
  policy: OutboundPolicy,
  resolve: Resolver = systemResolver,
): (hostname: string, options: LookupOptions, callback: LookupCallback) => void {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        const addresses = found.filter((a) => !options.family || options.family === a.family);
        for (const { address } of addresses) {
          const check = checkOutboundAddress(address, policy);
          if (!check.allowed) {
            callback(new OutboundRefusedError(`${hostname} resolves to ${address}; ${check.reason}`), "");
            return;
          }
        }
        if (addresses.length === 0) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }), "");
        else if (options.all) callback(null, [...addresses]);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };
}
