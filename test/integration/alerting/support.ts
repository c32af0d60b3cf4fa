import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { DeliveryWorker, type DeliveryWorkerOptions } from "../../../server/alerting/delivery";
import { Notifier } from "../../../server/alerting/notifier";
import { SecretBox } from "../../../server/secrets";
import type { PrismaClient } from "../../../server/store/prisma";

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Never answer (for timeouts). */
  hang?: boolean;
}

export type Responder = (request: ReceivedRequest, index: number) => Reply;

/** A real loopback HTTP receiver that records every request and answers as scripted. */
export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  respond(responder: Responder): void;
  /** Resolves with the n-th request (0-based) once it arrived. */
  waitFor(count: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startReceiver(responder: Responder = () => ({ status: 200 })): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let current = responder;
  const waiters: { count: number; resolve: (r: ReceivedRequest[]) => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const request: ReceivedRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, json };
      requests.push(request);
      const reply = current(request, requests.length - 1);
      for (const w of waiters.filter((w) => requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(requests.slice());
      }
      if (reply.hang) return;
      res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers });
      res.end(reply.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond(next) {
      current = next;
    },
    waitFor(count) {
      if (requests.length >= count) return Promise.resolve(requests.slice());
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public now: number) {}
  readonly read = () => this.now;
  advance(ms: number): number {
    this.now += ms;
    return this.now;
  }
}

export async function clearAlertingTables(prisma: PrismaClient): Promise<void> {
  await prisma.$executeRawUnsafe(
    "TRUNCATE alert_rules, alert_states, alert_events, silences, channels, notification_groups, notifications RESTART IDENTITY",
  );
}

export const testSecrets = () => new SecretBox(randomBytes(32));

export const EXTERNAL_URL = "http://loopscope.test:3000";

/** A delivery worker + notifier wired for tests: manual clock, fast deterministic retries. */
export function pipeline(prisma: PrismaClient, clock: ManualClock, secrets: SecretBox, overrides: Partial<DeliveryWorkerOptions> = {}) {
  const delivery = new DeliveryWorker({
    prisma,
    secrets,
    policy: { allowLinkLocal: false },
    externalURL: EXTERNAL_URL,
    clock: clock.read,
    random: () => 1,
    timeoutMs: 2_000,
    retry: { baseDelayMs: 1_000, maxDelayMs: 8_000, maxAgeMs: 60_000 },
    ...overrides,
  });
  const notifier = new Notifier({ prisma, delivery, externalURL: EXTERNAL_URL, clock: clock.read });
  return { delivery, notifier };
}
