import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { describe, expect, it } from "vitest";
import { blockedUrlReason } from "../../../server/alerting/outbound-guard";
import {
  DEFAULT_OUTBOUND_POLICY,
  outboundPolicyFromConfig,
  readBody,
  redirectDecision,
  ResponseTooLargeError,
  resolvePolicy,
  urlRefusal,
} from "../../../server/outbound/policy";

function body(chunks: string[]): Dispatcher.ResponseData["body"] {
  return Readable.from(chunks.map((c) => Buffer.from(c))) as unknown as Dispatcher.ResponseData["body"];
}

describe("one outbound policy for scrapes and webhooks", () => {
  it("derives the address policy from the settings", () => {
    expect(outboundPolicyFromConfig({})).toEqual(DEFAULT_OUTBOUND_POLICY);
    expect(outboundPolicyFromConfig({ LOOPSCOPE_ALLOW_LINK_LOCAL_TARGETS: true })).toEqual({ ...DEFAULT_OUTBOUND_POLICY, allowLinkLocal: true });
    expect(outboundPolicyFromConfig({ LOOPSCOPE_ALLOW_PRIVATE_TARGETS: true })).toEqual({ ...DEFAULT_OUTBOUND_POLICY, allowLinkLocal: true, allowMetadata: true });
  });

  it("link-local can be allowed without opening the cloud metadata endpoints", () => {
    const policy = outboundPolicyFromConfig({ LOOPSCOPE_ALLOW_LINK_LOCAL_TARGETS: true });
    expect(urlRefusal("http://169.254.10.20:9100/metrics", policy)).toBeUndefined();
    expect(urlRefusal("http://169.254.169.254/latest/meta-data", policy)).toMatch(/cloud metadata endpoint/);
    expect(urlRefusal("http://metadata.google.internal/", policy)).toMatch(/cloud metadata endpoint/);
    expect(urlRefusal("http://169.254.169.254/", outboundPolicyFromConfig({ LOOPSCOPE_ALLOW_PRIVATE_TARGETS: true }))).toBeUndefined();
  });

  it("refuses non-http schemes, credentials in the URL (unless allowed) and forbidden hosts, without echoing the URL", () => {
    const policy = resolvePolicy();
    expect(urlRefusal("file:///etc/passwd", policy)).toBe("only http and https URLs are allowed, not file:");
    expect(urlRefusal("not a url", policy)).toBe("the URL is not valid");
    expect(urlRefusal("http://user:s3cret@example.com/", policy)).toBe("the URL contains credentials");
    expect(urlRefusal("http://user:s3cret@example.com/", policy, { allowCredentials: true })).toBeUndefined();
    expect(urlRefusal("http://[fe80::1]/", policy)).toMatch(/link-local/);
    expect(urlRefusal("http://10.0.0.5:8080/metrics", policy)).toBeUndefined();
  });

  it("the webhook guard is the same policy (its single switch allows link-local and metadata together)", () => {
    expect(blockedUrlReason("http://169.254.169.254/", { allowLinkLocal: false })).toMatch(/cloud metadata endpoint/);
    expect(blockedUrlReason("http://169.254.169.254/", { allowLinkLocal: true })).toBeUndefined();
    expect(blockedUrlReason("http://169.254.169.254/", { allowLinkLocal: true, allowMetadata: false })).toMatch(/cloud metadata endpoint/);
  });

  it("follows redirects only within the original host, without downgrade, up to the limit", () => {
    const origin = new URL("https://exporter.example:9100/metrics");
    expect(redirectDecision(origin, origin, "/metrics/", 0, 3)).toEqual({ follow: true, url: new URL("https://exporter.example:9100/metrics/") });
    expect(redirectDecision(origin, origin, "https://evil.example/", 0, 3)).toMatchObject({ follow: false, reason: expect.stringMatching(/another host/) });
    expect(redirectDecision(origin, origin, "http://exporter.example:9100/", 0, 3)).toMatchObject({ follow: false, reason: expect.stringMatching(/downgrade/) });
    expect(redirectDecision(origin, origin, "/x", 3, 3)).toMatchObject({ follow: false, reason: "too many redirects (more than 3)" });
    expect(redirectDecision(origin, origin, "/x", 0, 0)).toMatchObject({ follow: false });
    expect(redirectDecision(origin, origin, undefined, 0, 3)).toMatchObject({ follow: false, reason: expect.stringMatching(/no Location/) });
    expect(redirectDecision(origin, origin, "gopher://exporter.example/", 0, 3)).toMatchObject({ follow: false, reason: expect.stringMatching(/gopher/) });
  });

  it("reads at most the size limit: fails (declared or streamed) or truncates", async () => {
    await expect(readBody(body(["a".repeat(10)]), 5, "fail", "10")).rejects.toBeInstanceOf(ResponseTooLargeError);
    await expect(readBody(body(["abc", "def"]), 5, "fail")).rejects.toBeInstanceOf(ResponseTooLargeError);
    expect(await readBody(body(["abc", "de"]), 5, "fail")).toEqual({ body: Buffer.from("abcde"), truncated: false });
    const truncated = await readBody(body(["abc", "defgh", "ijk"]), 5, "truncate");
    expect(truncated).toEqual({ body: Buffer.from("abcde"), truncated: true });
  });
});
