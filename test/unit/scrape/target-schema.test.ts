import { describe, expect, it } from "vitest";
import { scrapeTargetFields, scrapeTargetSpecSchema } from "../../../server/scrape/target-schema";

function issues(input: unknown): string[] {
  const parsed = scrapeTargetSpecSchema.safeParse(input);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("scrape target schema", () => {
  it("fills defaults: 15 s interval, timeout min(10 s, interval), no auth, no labels, enabled", () => {
    expect(scrapeTargetSpecSchema.parse({ name: "orders", url: "http://10.0.0.5:8080/metrics" })).toEqual({
      name: "orders",
      url: "http://10.0.0.5:8080/metrics",
      intervalMs: 15_000,
      timeoutMs: 10_000,
      auth: { kind: "none" },
      labels: {},
      honorLabels: false,
      enabled: true,
    });
    expect(scrapeTargetSpecSchema.parse({ name: "fast", url: "https://x.example/metrics", intervalMs: 5_000 }).timeoutMs).toBe(5_000);
  });

  it("accepts bearer and basic auth", () => {
    expect(scrapeTargetSpecSchema.parse({ name: "a", url: "http://a/metrics", auth: { kind: "bearer", token: "t0k" } }).auth).toEqual({ kind: "bearer", token: "t0k" });
    expect(scrapeTargetSpecSchema.parse({ name: "a", url: "http://a/metrics", auth: { kind: "basic", username: "u", password: "" } }).auth).toEqual({
      kind: "basic",
      username: "u",
      password: "",
    });
  });

  it.each([
    [{ name: "a", url: "ftp://host/metrics" }, "url: only http and https URLs can be scraped, not ftp"],
    [{ name: "a", url: "not a url" }, 'url: "not a url" is not a URL (expected e.g. http://10.0.0.5:8080/metrics)'],
    [{ name: "a", url: "http://user:pw@host/metrics" }, "url: put credentials in auth (basic or bearer), not in the URL"],
    [{ name: "a", url: "http://h/m", intervalMs: 999 }, "intervalMs: the interval must be at least 1 s"],
    [{ name: "a", url: "http://h/m", intervalMs: 3_600_001 }, "intervalMs: the interval must be at most 1 h"],
    [{ name: "a", url: "http://h/m", intervalMs: 1_500.5 }, "intervalMs: Invalid input: expected int, received number"],
    [{ name: "a", url: "http://h/m", intervalMs: 5_000, timeoutMs: 6_000 }, "timeoutMs: the timeout (6000 ms) must not exceed the interval (5000 ms)"],
    [{ name: "a", url: "http://h/m", timeoutMs: 50 }, "timeoutMs: the timeout must be at least 100 ms"],
    [{ name: "a", url: "http://h/m", auth: { kind: "oauth" } }, 'auth.kind: Invalid discriminator value'],
    [{ name: "a", url: "http://h/m", auth: { kind: "bearer", token: "" } }, "auth.token: a bearer token must not be empty"],
    [{ name: "a", url: "http://h/m", auth: { kind: "basic", username: "a:b", password: "x" } }, "auth.username: a basic-auth username cannot contain ':'"],
    [{ name: "a", url: "http://h/m", labels: { "bad-name": "x" } }, "labels.bad-name: label names are letters, digits and underscores, not starting with a digit"],
    [{ name: "a", url: "http://h/m", labels: { __meta: "x" } }, "labels.__meta: label names starting with __ are reserved"],
    [{ name: " ", url: "http://h/m" }, "name: a target needs a name"],
    [{ name: "-x", url: "http://h/m" }, "name: names are letters, digits, spaces and . _ : / @ - [ ], starting with a letter, digit or ["],
  ])("rejects %j", (input, message) => {
    expect(issues(input)).toContainEqual(expect.stringContaining(message));
  });

  it("exposes the unrefined fields for partial updates", () => {
    expect(scrapeTargetFields.partial().parse({ intervalMs: 30_000 })).toEqual({ intervalMs: 30_000 });
  });
});
