import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../server/config";
import { parseHeaders, prometheusSettings, settingsView } from "../../../server/prometheus/settings";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-prom-settings-"));
const tokenFile = path.join(dir, "token");
fs.writeFileSync(tokenFile, "s3cret-token\n");

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function settings(env: Record<string, string>) {
  return prometheusSettings(loadConfig(env, dir));
}

function problems(env: Record<string, string>): string {
  try {
    settings(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("Prometheus data source settings", () => {
  it("is off without a URL, with defaults otherwise", () => {
    expect(settings({})).toBeUndefined();
    const s = settings({ LOOPSCOPE_PROMETHEUS_URL: "https://mimir.example/prometheus/" });
    expect(s).toMatchObject({ baseUrl: "https://mimir.example/prometheus", auth: { kind: "none" }, timeoutMs: 30_000, scrapeIntervalMs: 30_000, identityLabels: ["job", "namespace"] });
  });

  it("takes a bearer token file, basic auth, headers and a CA file; the view shows none of their secrets", () => {
    const s = settings({
      LOOPSCOPE_PROMETHEUS_URL: "http://127.0.0.1:9090",
      LOOPSCOPE_PROMETHEUS_BEARER_TOKEN_FILE: tokenFile,
      LOOPSCOPE_PROMETHEUS_HEADERS: "X-Scope-OrgID=tenant-1, X-Api-Key=k3y-value",
      LOOPSCOPE_PROMETHEUS_CA_FILE: tokenFile,
      LOOPSCOPE_PROMETHEUS_CONTROLLER_LABELS: "cluster, job,namespace",
    });
    expect(s?.auth).toEqual({ kind: "bearer", tokenFile });
    expect(s?.headers).toEqual({ "X-Scope-OrgID": "tenant-1", "X-Api-Key": "k3y-value" });
    expect(s?.identityLabels).toEqual(["cluster", "job", "namespace"]);
    const view = JSON.stringify(settingsView(s as NonNullable<typeof s>));
    expect(view).not.toMatch(/s3cret|k3y-value|tenant-1/);
    expect(view).toContain("X-Api-Key");
    const basic = settings({ LOOPSCOPE_PROMETHEUS_URL: "http://p:9090", LOOPSCOPE_PROMETHEUS_BASIC_AUTH_USER: "reader", LOOPSCOPE_PROMETHEUS_BASIC_AUTH_PASSWORD_FILE: tokenFile });
    expect(basic?.auth).toEqual({ kind: "basic", user: "reader", passwordFile: tokenFile });
  });

  it("refuses credentials in the URL, mixed auth, missing files and bad headers, without echoing header values", () => {
    expect(problems({ LOOPSCOPE_PROMETHEUS_URL: "http://user:pw@p:9090" })).toMatch(/BASIC_AUTH_USER/);
    expect(problems({ LOOPSCOPE_PROMETHEUS_URL: "http://p:9090/api/v1" })).toMatch(/part before \/api\/v1/);
    expect(problems({ LOOPSCOPE_PROMETHEUS_URL: "http://p:9090", LOOPSCOPE_PROMETHEUS_BEARER_TOKEN_FILE: tokenFile, LOOPSCOPE_PROMETHEUS_BASIC_AUTH_USER: "u", LOOPSCOPE_PROMETHEUS_BASIC_AUTH_PASSWORD_FILE: tokenFile })).toMatch(/choose one/);
    expect(problems({ LOOPSCOPE_PROMETHEUS_URL: "http://p:9090", LOOPSCOPE_PROMETHEUS_BASIC_AUTH_USER: "u" })).toMatch(/needs both/);
    expect(problems({ LOOPSCOPE_PROMETHEUS_URL: "http://p:9090", LOOPSCOPE_PROMETHEUS_BEARER_TOKEN_FILE: path.join(dir, "missing") })).toMatch(/BEARER_TOKEN_FILE=.*readable file/);
    expect(problems({ LOOPSCOPE_PROMETHEUS_BEARER_TOKEN_FILE: tokenFile })).toMatch(/without LOOPSCOPE_PROMETHEUS_URL/);
    const message = problems({ LOOPSCOPE_PROMETHEUS_URL: "http://p:9090", LOOPSCOPE_PROMETHEUS_HEADERS: "Host=evil-secret,Bad Name=other-secret,Ok=\u0000x" });
    expect(message).toMatch(/item 1 \(Host\).*set by Loopscope/);
    expect(message).toMatch(/item 2 is invalid/);
    expect(message).not.toMatch(/evil-secret|other-secret/);
  });

  it("leaves Authorization to the auth settings when they are used", () => {
    expect(parseHeaders("Authorization=Bearer x", "none").problems).toEqual([]);
    expect(parseHeaders("Authorization=Bearer x", "bearer").problems[0]).toMatch(/already set Authorization/);
    expect(parseHeaders("A=1,a=2", "none").problems[0]).toMatch(/given twice/);
  });

  it("checks durations and labels at load", () => {
    expect(() => loadConfig({ LOOPSCOPE_PROMETHEUS_TIMEOUT: "100ms" }, dir)).toThrow(/LOOPSCOPE_PROMETHEUS_TIMEOUT/);
    expect(() => loadConfig({ LOOPSCOPE_PROMETHEUS_CONTROLLER_LABELS: "job,9x" }, dir)).toThrow(/label names/);
    expect(() => loadConfig({ LOOPSCOPE_PROMETHEUS_URL: "ftp://p" }, dir)).toThrow(/http/);
  });
});
