import { guardedLookup as addressLookup, type OutboundPolicyInput, resolvePolicy, urlRefusal } from "../outbound/policy";

/**
 * Where webhooks may be sent: the one outbound policy (server/outbound/policy.ts), as the
 * alerting code names it. Loopback and private networks are allowed (chat relays and
 * Alertmanagers often live there); link-local and cloud metadata destinations are
 * refused unless allowed (LOOPSCOPE_ALLOW_LINK_LOCAL_TARGETS, LOOPSCOPE_ALLOW_PRIVATE_TARGETS).
 * Checked on the URL at save time and on every resolved address at connect time, so
 * DNS rebinding cannot reach them either.
 */
export type OutboundPolicy = OutboundPolicyInput;

export { OutboundRefusedError, resolvePolicy as addressPolicy } from "../outbound/policy";

/** Why a URL is refused before any connection (scheme, metadata names, IP literals); undefined when fine. */
export function blockedUrlReason(url: string, policy: OutboundPolicy): string | undefined {
  // Webhook URLs of some services carry a token as user info; the URL is stored encrypted.
  return urlRefusal(url, resolvePolicy(policy), { allowCredentials: true });
}

/** A `lookup` for undici's `connect` that refuses forbidden resolved addresses. */
export function guardedLookup(policy: OutboundPolicy) {
  return addressLookup(resolvePolicy(policy));
}
