import { describe, expect, it } from "vitest";
import {
  type AlertGroup,
  DEFAULT_ROUTE,
  decideFlush,
  type GroupableAlert,
  groupAlerts,
  groupDueAt,
  type NotificationLogEntry,
  notifyReason,
  type RouteSettings,
  resolvedKey,
} from "../../../server/alerting/grouping";
import { DEFAULT_INHIBIT_RULES, inhibitedAlerts } from "../../../server/alerting/inhibition";
import { expiredTimes, silencedBy, silenceInputSchema, silenceState } from "../../../server/alerting/silences";

const route: RouteSettings = { ...DEFAULT_ROUTE, matchers: [] };

function alert(name: string, controller: string, status: "firing" | "resolved" = "firing", extra: Record<string, string> = {}): GroupableAlert {
  return {
    fingerprint: `${name}-${controller}`.padEnd(16, "0").slice(0, 16),
    labels: { alertname: name, controller, ...extra },
    annotations: {},
    status,
    startsAt: 1_000,
    endsAt: status === "resolved" ? 2_000 : undefined,
  };
}

describe("grouping", () => {
  it("groups by the route's labels, all labels with '...', or everything with []", () => {
    const alerts = [alert("Depth", "pods"), alert("Depth", "nodes"), alert("Errors", "pods")];
    expect([...groupAlerts(alerts, route, "r").keys()]).toEqual(['r:{alertname="Depth"}', 'r:{alertname="Errors"}']);
    expect(groupAlerts(alerts, { ...route, groupBy: ["..."] }, "r").size).toBe(3);
    expect(groupAlerts(alerts, { ...route, groupBy: [] }, "r").get("r:{}")?.alerts.length).toBe(3);
    expect(groupAlerts(alerts, { ...route, groupBy: ["controller"] }, "r").get('r:{controller="pods"}')?.alerts.length).toBe(2);
  });

  it("routes only the alerts the channel's matchers accept", () => {
    const alerts = [alert("Depth", "pods"), alert("Depth", "nodes")];
    const groups = groupAlerts(alerts, { ...route, matchers: [{ name: "controller", op: "=", value: "nodes" }] }, "r");
    expect([...groups.values()].flatMap((g) => g.alerts.map((a) => a.labels.controller))).toEqual(["nodes"]);
  });

  it("waits group_wait before the first flush, then group_interval", () => {
    const fresh = [{ ...alert("A", "x"), startsAt: 100_000 }];
    expect(groupDueAt({ firstSeenAt: 100_000 }, fresh, route)).toBe(130_000);
    expect(groupDueAt({ firstSeenAt: 100_000, lastFlushAt: 130_000 }, fresh, route)).toBe(430_000);
  });

  it("flushes at once when the alerts are older than group_wait (as Alertmanager)", () => {
    const old = [{ ...alert("A", "x"), startsAt: 0 }];
    expect(groupDueAt({ firstSeenAt: 100_000 }, old, route)).toBe(100_000);
    const recent = [{ ...alert("A", "x"), startsAt: 90_000 }];
    expect(groupDueAt({ firstSeenAt: 100_000 }, recent, route)).toBe(120_000);
  });
});

describe("notification log decisions (Alertmanager DedupStage)", () => {
  const entry = (firing: string[], resolved: string[] = [], at = 0): NotificationLogEntry => ({ firing, resolved, at });
  const set = (...items: string[]) => new Set(items);

  it("gives Alertmanager's notification reasons", () => {
    const r = { sendResolved: true, repeatIntervalMs: 1_000 };
    expect(notifyReason(undefined, set("a"), set(), r, 0)).toBe("first notification");
    expect(notifyReason(undefined, set(), set("b@1"), r, 0)).toBeUndefined();
    expect(notifyReason(entry(["a"]), set("a", "b"), set(), r, 10)).toBe("new alerts added");
    expect(notifyReason(entry([]), set("a"), set(), r, 10)).toBe("first notification");
    expect(notifyReason(entry(["a"]), set(), set("a@5"), r, 10)).toBe("all alerts resolved");
    expect(notifyReason(entry([]), set(), set("a@5"), r, 10)).toBeUndefined();
    expect(notifyReason(entry(["a", "b"]), set("a"), set("b@5"), r, 10)).toBe("some alerts resolved");
    expect(notifyReason(entry(["a", "b"]), set("a"), set("b@5"), { ...r, sendResolved: false }, 10)).toBeUndefined();
    expect(notifyReason(entry(["a"], [], 0), set("a"), set(), r, 1_000)).toBeUndefined();
    expect(notifyReason(entry(["a"], [], 0), set("a"), set(), r, 1_001)).toBe("repeat interval elapsed");
  });

  it("sends firing then resolved alerts, and leaves notified resolved alerts out later", () => {
    const firing = alert("A", "x");
    const resolved = alert("A", "y", "resolved");
    const group: AlertGroup = { key: "k", labels: { alertname: "A" }, alerts: [resolved, firing] };
    const first = decideFlush(group, { firing: [firing.fingerprint, resolved.fingerprint], resolved: [], at: 0 }, route, 10);
    expect(first.reason).toBe("some alerts resolved");
    expect(first.send.map((a) => a.status)).toEqual(["firing", "resolved"]);
    expect(first.entry?.resolved).toEqual([resolvedKey(resolved)]);
    // Nothing changed since: no notification.
    expect(decideFlush(group, first.entry, route, 20).reason).toBeUndefined();
    // At the repeat interval only the still-firing alert is repeated.
    const repeat = decideFlush(group, first.entry, route, 10 + route.repeatIntervalMs + 1);
    expect(repeat.reason).toBe("repeat interval elapsed");
    expect(repeat.send).toEqual([firing]);
  });

  it("with send_resolved off, logs an all-resolved group but sends nothing", () => {
    const resolved = alert("A", "y", "resolved");
    const decision = decideFlush({ key: "k", labels: {}, alerts: [resolved] }, { firing: [resolved.fingerprint], resolved: [], at: 0 }, { ...route, sendResolved: false }, 10);
    expect(decision.reason).toBe("all alerts resolved");
    expect(decision.send).toEqual([]);
    expect(decision.entry?.firing).toEqual([]);
  });

  it("a re-fired alert that resolves again is reported again (resolved identity includes the time)", () => {
    const first = { ...alert("A", "x", "resolved"), endsAt: 1_000 };
    const again = { ...first, endsAt: 5_000 };
    const entry1 = { firing: [], resolved: [resolvedKey(first)], at: 2_000 };
    const decision = decideFlush({ key: "k", labels: {}, alerts: [again] }, { ...entry1, firing: [again.fingerprint] }, route, 6_000);
    expect(decision.reason).toBe("all alerts resolved");
    expect(decision.send).toEqual([again]);
  });
});

describe("inhibition", () => {
  it("a firing critical alert mutes warnings with the same controller by default", () => {
    const critical = alert("Stuck", "pods", "firing", { severity: "critical" });
    const warnSame = alert("Depth", "pods", "firing", { severity: "warning" });
    const warnOther = alert("Depth", "nodes", "firing", { severity: "warning" });
    expect([...inhibitedAlerts([critical, warnSame, warnOther], DEFAULT_INHIBIT_RULES)]).toEqual([warnSame.fingerprint]);
    const resolvedCritical = { ...critical, status: "resolved" as const };
    expect(inhibitedAlerts([resolvedCritical, warnSame], DEFAULT_INHIBIT_RULES).size).toBe(0);
  });

  it("treats a missing label as equal to an empty one", () => {
    const source = { fingerprint: "s", labels: { severity: "critical" }, status: "firing" as const };
    const target = { fingerprint: "t", labels: { severity: "warning", controller: "" }, status: "firing" as const };
    expect(inhibitedAlerts([source, target], DEFAULT_INHIBIT_RULES).has("t")).toBe(true);
  });

  it("alerts matching both sides do not inhibit each other (nor themselves)", () => {
    const rule = { sourceMatchers: [{ name: "team", op: "=" as const, value: "a" }], targetMatchers: [{ name: "team", op: "=" as const, value: "a" }], equal: [] };
    const one = { fingerprint: "1", labels: { team: "a" }, status: "firing" as const };
    const two = { fingerprint: "2", labels: { team: "a", x: "y" }, status: "firing" as const };
    expect(inhibitedAlerts([one, two], [rule]).size).toBe(0);
  });
});

describe("silences", () => {
  const silence = { id: 1, matchers: [{ name: "controller", op: "=~" as const, value: "po.*" }], startsAt: 100, endsAt: 200, createdBy: "me", comment: "deploy", createdAt: 0 };

  it("mute matching alerts only while active", () => {
    expect(silenceState(silence, 50)).toBe("pending");
    expect(silencedBy([silence], { controller: "pods" }, 150)).toEqual([1]);
    expect(silencedBy([silence], { controller: "nodes" }, 150)).toEqual([]);
    expect(silencedBy([silence], { controller: "pods" }, 50)).toEqual([]);
    expect(silencedBy([silence], { controller: "pods" }, 200)).toEqual([]);
  });

  it("expire like Alertmanager: an active one ends now, a pending one never starts", () => {
    expect(expiredTimes(silence, 150)).toEqual({ startsAt: 100, endsAt: 150 });
    expect(expiredTimes(silence, 50)).toEqual({ startsAt: 50, endsAt: 50 });
    expect(expiredTimes(silence, 250)).toBeUndefined();
  });

  it("refuses matchers that would silence everything, and bad times", () => {
    const base = { endsAt: "2030-01-01T00:00:00Z", createdBy: "me", comment: "why" };
    const bad = silenceInputSchema.safeParse({ ...base, matchers: [{ name: "x", op: "=~", value: ".*" }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].message).toMatch(/at least one matcher must not match the empty string/);
    expect(silenceInputSchema.safeParse({ ...base, matchers: [] }).error?.issues[0].message).toBe("needs at least one matcher");
    expect(silenceInputSchema.safeParse({ ...base, matchers: [{ name: "x", op: "=", value: "y" }], startsAt: "2031-01-01T00:00:00Z" }).error?.issues[0].path).toEqual(["endsAt"]);
    expect(silenceInputSchema.safeParse({ ...base, comment: "", matchers: [{ name: "x", op: "=", value: "y" }] }).error?.issues[0].path).toEqual(["comment"]);
    expect(silenceInputSchema.parse({ ...base, matchers: [{ name: "x", op: "=", value: "y" }] }).endsAt).toBe(Date.parse(base.endsAt));
  });
});
