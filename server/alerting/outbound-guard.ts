import {
  checkOutboundHost,
  OutboundRefusedError,
  type OutboundPolicy as AddressPolicy,
  guardedLookup as policyLookup,
} from "../scrape/outbound-policy";

/**
 * Where webhooks may be sent: the shared outbound policy (server/scrape/outbound-policy.ts)
 * with loopback and private networks allowed (chat relays and Alertmanagers often live
 * there) and link-local and cloud metadata destinations refused unless explicitly
 * allowed (LOOPSCOPE_ALLOW_PRIVATE_TARGETS). Checked on the URL at save time and
 * on every resolved address at connect time, so DNS rebinding cannot reach them either.
 */
export interface OutboundPolicy {
  /** Allow link-local and metadata destinations. */
  allowLinkLocal: boolean;
}

export { OutboundRefusedError };

export function addressPolicy(policy: OutboundPolicy): AddressPolicy {
  return { allowLinkLocal: policy.allowLinkLocal, allowMetadata: policy.allowLinkLocal, allowPrivate: true, allowLoopback: true };
}

/** Why a URL is refused before any connection (scheme, metadata names, IP literals); undefined when fine. */
export function blockedUrlReason(url: string, policy: OutboundPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "the URL is not valid";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return `only http and https URLs are allowed, not ${parsed.protocol}`;
  const verdict = checkOutboundHost(parsed.hostname, addressPolicy(policy));
  return verdict.allowed ? undefined : verdict.reason;
}

/** A `lookup` for undici's `connect` that refuses forbidden resolved addresses. */
export function guardedLookup(policy: OutboundPolicy) {
  return policyLookup(addressPolicy(policy));
}
