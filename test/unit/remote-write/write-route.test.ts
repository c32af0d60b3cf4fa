import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../../server/auth/auth-service";
import { loadAuthSettings } from "../../../server/auth/settings";
import { loadConfig } from "../../../server/config";
import { ServiceSlot } from "../../../server/lifecycle/service-slot";
import type { RemoteWriteReceiver } from "../../../server/remote-write/remote-write-receiver";
import { compressWriteBody } from "../../../server/remote-write/write-body";
import { encodeWriteRequest } from "../../../server/remote-write/write-request";
import { remoteWriteHandler } from "../../../server/remote-write/write-route";

const HEADERS = { "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy", "X-Prometheus-Remote-Write-Version": "0.1.0" };

function push(body: Uint8Array | string): Request {
  return new Request("http://127.0.0.1/api/v1/write", { method: "POST", body: typeof body === "string" ? body : new Uint8Array(body), headers: HEADERS });
}

describe("POST /api/v1/write before the receiver has started", () => {
  const auth = new AuthService(loadAuthSettings(loadConfig({ LOOPSCOPE_AUTH: "none" }, "/srv")), undefined);
  const receiver = new ServiceSlot<RemoteWriteReceiver>("remoteWrite", "the remote-write receiver");
  const handle = remoteWriteHandler({ auth, receiver, metricsRegistry: new Registry() });

  it("still refuses a malformed body with 400, so Prometheus drops it instead of retrying it forever", async () => {
    const response = await handle(push("not snappy"));
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/not snappy-compressed/);
  });

  it("asks a well-formed push to come back later (503 with Retry-After)", async () => {
    const body = compressWriteBody(encodeWriteRequest({ series: [{ labels: { __name__: "up" }, samples: [{ ts: 1, value: 1 }] }] }));
    const response = await handle(push(body));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("2");
  });
});
