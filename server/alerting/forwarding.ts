import type { GroupableAlert } from "./grouping";

/**
 * Alert forwarding to an Alertmanager as Prometheus's rule manager does it
 * (rules/alerting.go `needsSending`, rules/manager.go `sendAlerts`): no grouping or
 * waiting on this side — Alertmanager groups, silences and inhibits. A firing alert is
 * sent as soon as it fires and again at least every `RESEND_DELAY_MS`, each time valid
 * for `VALID_FOR_MS` (endsAt), so Alertmanager resolves it by itself a few minutes
 * after Loopscope stops sending; a resolved alert is sent at once with its real end,
 * and re-sent every minute for 15 minutes (Prometheus's resolved retention) so a
 * restarted Alertmanager still learns of it.
 */

/** Prometheus's --rules.alert.resend-delay default. */
export const RESEND_DELAY_MS = 60_000;
/** Prometheus sends endsAt = now + 4 × max(resend delay, evaluation interval). */
export const VALID_FOR_MS = 4 * RESEND_DELAY_MS;
/** How long a resolved alert keeps being re-sent. */
export const RESOLVED_RESEND_MS = 15 * 60_000;

export interface SentRecord {
  at: number;
  status: "firing" | "resolved";
}

/** Whether an alert is due to be (re-)sent at `now`, given when and how it was last sent. */
export function needsSending(alert: GroupableAlert, last: SentRecord | undefined, now: number): boolean {
  if (alert.status === "resolved" && alert.endsAt !== undefined && now - alert.endsAt > RESOLVED_RESEND_MS) return false;
  if (last === undefined || last.status !== alert.status) return true;
  return now - last.at >= RESEND_DELAY_MS;
}

/** What was last sent to each forwarding channel, per alert fingerprint (in memory, as in Prometheus). */
export class ForwardingLog {
  private readonly sent = new Map<number, Map<string, SentRecord>>();

  /** The alerts of `candidates` due at `now` for channel `channelId`. */
  due(channelId: number, candidates: readonly GroupableAlert[], now: number): GroupableAlert[] {
    const log = this.sent.get(channelId);
    return candidates.filter((alert) => needsSending(alert, log?.get(alert.fingerprint), now));
  }

  /** Records a send; forgets alerts that are no longer notifiable. */
  record(channelId: number, sent: readonly GroupableAlert[], notifiable: readonly GroupableAlert[], now: number): void {
    let log = this.sent.get(channelId);
    if (!log) {
      log = new Map();
      this.sent.set(channelId, log);
    }
    for (const alert of sent) log.set(alert.fingerprint, { at: now, status: alert.status });
    const live = new Set(notifiable.map((a) => a.fingerprint));
    for (const fingerprint of log.keys()) if (!live.has(fingerprint)) log.delete(fingerprint);
  }
}
