import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchPprofText } from "../../../server/goroutines/pprof-fetch";
import { DEFAULT_OUTBOUND_POLICY, outboundAgent } from "../../../server/outbound/policy";

/** A pprof endpoint on loopback that misbehaves on request: too large, too slow, redirecting away. */
let server: http.Server;
let base: string;
let agent: Agent;
const slow = new Set<http.ServerResponse>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/debug/pprof/goroutine") {
      if (req.headers.authorization !== "Bearer s3cret") return void res.writeHead(401).end();
      return void res.end("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x1\n");
    }
    if (url.pathname === "/huge/goroutine") return void res.end("x".repeat(2 * 1024 * 1024));
    if (url.pathname === "/slow/goroutine") return void slow.add(res);
    if (url.pathname === "/away/goroutine") return void res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
    res.writeHead(404).end("Unknown profile\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  agent = outboundAgent(DEFAULT_OUTBOUND_POLICY);
});

afterAll(async () => {
  for (const res of slow) res.destroy();
  await agent?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe("fetchPprofText: a goroutine dump through the outbound policy", () => {
  it("reads the profile under the base URL with the target's credentials", async () => {
    const result = await fetchPprofText(agent, DEFAULT_OUTBOUND_POLICY, `${base}/debug/pprof/`, "goroutine?debug=2", { auth: { kind: "bearer", token: "s3cret" } });
    expect(result).toMatchObject({ ok: true, text: expect.stringContaining("goroutine 1 [running]") });
    expect(await fetchPprofText(agent, DEFAULT_OUTBOUND_POLICY, `${base}/debug/pprof`, "goroutine?debug=2")).toMatchObject({ ok: false, status: 401 });
  });

  it("says 404 where the profile is not served (no goroutineleak profile before Go 1.26)", async () => {
    expect(await fetchPprofText(agent, DEFAULT_OUTBOUND_POLICY, `${base}/debug/pprof/`, "goroutineleak?debug=2")).toMatchObject({ ok: false, status: 404 });
  });

  it("stops at the size cap, at the timeout, at a redirect to another host, and at a refused address", async () => {
    const huge = await fetchPprofText(agent, DEFAULT_OUTBOUND_POLICY, `${base}/huge/`, "goroutine?debug=2", { maxBytes: 1024 * 1024 });
    expect(huge).toEqual({ ok: false, error: "profile larger than 1048576 bytes" });
    const started = Date.now();
    const timedOut = await fetchPprofText(agent, DEFAULT_OUTBOUND_POLICY, `${base}/slow/`, "goroutine?debug=2", { timeoutMs: 300 });
    expect(timedOut).toEqual({ ok: false, error: "timed out after 300 ms" });
    expect(Date.now() - started).toBeLessThan(10_000);
    const away = await fetchPprofText(agent, DEFAULT_OUTBOUND_POLICY, `${base}/away/`, "goroutine?debug=2");
    expect(away.ok).toBe(false);
    const metadata = await fetchPprofText(agent, DEFAULT_OUTBOUND_POLICY, "http://169.254.169.254/debug/pprof/", "goroutine?debug=2");
    expect(metadata.ok).toBe(false);
    if (!metadata.ok) expect(metadata.error).toMatch(/metadata|link-local/i);
  });
});
