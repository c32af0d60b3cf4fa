import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { blockedUrlReason } from "../../../server/alerting/outbound-guard";
import { backoffDelay, DEFAULT_RETRY_POLICY, decideAfterAttempt, parseRetryAfter } from "../../../server/alerting/retry-policy";
import { scrubUrl } from "../../../server/alerting/http-sender";
import { loadSecretKey, maskUrl, SecretBox, SecretDecryptionError } from "../../../server/secrets";

const policy = { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAgeMs: 3_600_000 };
const at = (attempt: number, now = 10_000) => ({ attempt, createdAt: 0, now, policy, random: () => 1 });

describe("retry policy", () => {
  it("delivers on 2xx", () => {
    expect(decideAfterAttempt({ status: 204 }, at(1))).toEqual({ state: "delivered" });
  });

  it("retries 5xx and network errors with exponential backoff", () => {
    expect(decideAfterAttempt({ status: 500 }, at(1))).toEqual({ state: "pending", nextAttemptAt: 11_000, error: "HTTP 500" });
    expect(decideAfterAttempt({ status: 503, bodyExcerpt: "busy" }, at(3))).toEqual({ state: "pending", nextAttemptAt: 14_000, error: "HTTP 503: busy" });
    expect(decideAfterAttempt({ error: "ECONNREFUSED" }, at(2))).toMatchObject({ state: "pending", nextAttemptAt: 12_000 });
  });

  it("never retries other 4xx, redirects or refused destinations", () => {
    expect(decideAfterAttempt({ status: 400, bodyExcerpt: "invalid_blocks" }, at(1))).toEqual({ state: "failed", error: "HTTP 400: invalid_blocks" });
    expect(decideAfterAttempt({ status: 404 }, at(1)).state).toBe("failed");
    expect(decideAfterAttempt({ status: 302 }, at(1))).toMatchObject({ state: "failed", error: expect.stringMatching(/redirects are not followed/) });
    expect(decideAfterAttempt({ refused: true, error: "refused: link-local" }, at(1)).state).toBe("failed");
  });

  it("honours 429 Retry-After", () => {
    expect(decideAfterAttempt({ status: 429, retryAfterMs: 7_000 }, at(1))).toMatchObject({ state: "pending", nextAttemptAt: 17_000 });
    expect(decideAfterAttempt({ status: 429 }, at(2))).toMatchObject({ state: "pending", nextAttemptAt: 12_000 });
  });

  it("gives up into a dead letter when the next attempt would pass the maximum age", () => {
    expect(decideAfterAttempt({ status: 500 }, at(5, 3_599_000))).toMatchObject({ state: "dead", error: expect.stringMatching(/^HTTP 500; gave up after 5 attempts/) });
    expect(decideAfterAttempt({ status: 429, retryAfterMs: 7_200_000 }, at(1)).state).toBe("dead");
  });

  it("jitters between half and all of the capped exponential delay", () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(500);
    expect(backoffDelay(1, policy, () => 1)).toBe(1_000);
    expect(backoffDelay(4, policy, () => 1)).toBe(8_000);
    expect(backoffDelay(30, policy, () => 1)).toBe(60_000);
    expect(backoffDelay(100, DEFAULT_RETRY_POLICY, () => 0.5)).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxDelayMs);
  });

  it("parses Retry-After seconds, HTTP dates and Discord's retry_after", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("3", undefined, now)).toBe(3_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", undefined, now)).toBe(5_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", undefined, now)).toBe(0);
    expect(parseRetryAfter(undefined, '{"message":"You are being rate limited.","retry_after":0.75,"global":false}', now)).toBe(750);
    expect(parseRetryAfter("soon", "not json", now)).toBeUndefined();
  });
});

describe("outbound policy", () => {
  it("refuses link-local and cloud metadata destinations unless allowed", () => {
    const deny = { allowLinkLocal: false };
    expect(blockedUrlReason("http://169.254.169.254/latest/meta-data", deny)).toMatch(/metadata/);
    expect(blockedUrlReason("http://169.254.10.1/", deny)).toMatch(/link-local/);
    expect(blockedUrlReason("http://[fe80::1]/", deny)).toMatch(/link-local/);
    expect(blockedUrlReason("http://[fd00:ec2::254]/", deny)).toMatch(/metadata/);
    expect(blockedUrlReason("http://metadata.google.internal/computeMetadata/v1/", deny)).toMatch(/metadata/);
    expect(blockedUrlReason("http://100.100.100.200/", deny)).toMatch(/metadata/);
    expect(blockedUrlReason("file:///etc/passwd", deny)).toMatch(/only http and https/);
    expect(blockedUrlReason("not a url", deny)).toBe("the URL is not valid");
    expect(blockedUrlReason("http://127.0.0.1:9000/hook", deny)).toBeUndefined();
    expect(blockedUrlReason("http://10.0.0.1/hook", deny)).toBeUndefined();
    expect(blockedUrlReason("https://hooks.slack.com/services/x", deny)).toBeUndefined();
    expect(blockedUrlReason("http://169.254.169.254/", { allowLinkLocal: true })).toBeUndefined();
  });

  it("scrubs the secret URL out of error messages", () => {
    const url = "https://hooks.slack.com/services/T000/B000/XXXXSECRET";
    expect(scrubUrl(`request to ${url} failed`, url)).toBe("request to /… failed");
    expect(scrubUrl("bad path /services/T000/B000/XXXXSECRET", url)).not.toContain("XXXXSECRET");
  });
});

describe("secrets at rest", () => {
  it("encrypt with AES-256-GCM, a fresh IV each time, and detect tampering or another key", () => {
    const box = new SecretBox(Buffer.alloc(32, 7));
    const a = box.encrypt("https://hooks.slack.com/services/T/B/secret");
    const b = box.encrypt("https://hooks.slack.com/services/T/B/secret");
    expect(a).not.toBe(b);
    expect(a).not.toContain("secret");
    expect(box.decrypt(a)).toBe("https://hooks.slack.com/services/T/B/secret");
    const raw = Buffer.from(a.slice(3), "base64");
    raw[raw.length - 1] ^= 1;
    expect(() => box.decrypt(`v1:${raw.toString("base64")}`)).toThrow(SecretDecryptionError);
    expect(() => new SecretBox(Buffer.alloc(32, 8)).decrypt(a)).toThrow(/another key/);
    expect(() => new SecretBox(Buffer.alloc(16))).toThrow(/32-byte key/);
  });

  it("take the key from LOOPSCOPE_SECRET_KEY, or generate it once into the data folder with mode 0600", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-key-"));
    try {
      const hex = "ab".repeat(32);
      expect(loadSecretKey({ envKey: hex, dataDir: dir }).toString("hex")).toBe(hex);
      expect(fs.existsSync(path.join(dir, "secret.key"))).toBe(false);
      const generated = loadSecretKey({ dataDir: path.join(dir, "data") });
      const file = path.join(dir, "data", "secret.key");
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(loadSecretKey({ dataDir: path.join(dir, "data") }).equals(generated)).toBe(true);
      fs.writeFileSync(file, "nothex");
      expect(() => loadSecretKey({ dataDir: path.join(dir, "data") })).toThrow(/64 hex characters/);
      expect(() => loadSecretKey({ envKey: "12", dataDir: dir })).toThrow(/LOOPSCOPE_SECRET_KEY must hold 64 hex/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("mask URLs to scheme and host", () => {
    expect(maskUrl("https://hooks.slack.com/services/T000/B000/XXXX")).toBe("https://hooks.slack.com/…/****");
    expect(maskUrl("https://user:pw@chat.googleapis.com/v1/spaces/A/messages?key=K&token=T")).toBe("https://chat.googleapis.com/…/****");
    expect(maskUrl("not a url")).toBe("****");
  });
});
