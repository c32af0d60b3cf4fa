import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../../server/trpc/root";
import { type AppProcess, startApp } from "../support/app-process";
import { createTestDatabase, type TestDatabase } from "../support/db";
import { type TrpcAnswer, trpcCall, waitForServices } from "../support/proof";

/**
 * Proof (issue 8): every tRPC procedure of the root router, enumerated from the router
 * itself, is called over HTTP on a running Loopscope with random JSON, malformed
 * shapes (the right field names with wrong values) and huge strings. No call answers
 * 5xx, the process stays up, and a refused input is BAD_REQUEST with a message that
 * names what was wrong.
 */

interface ProcedureInfo {
  path: string;
  type: "query" | "mutation";
  hasInput: boolean;
}

function procedures(): ProcedureInfo[] {
  const record = (appRouter as unknown as { _def: { procedures: Record<string, { _def: { type: string; inputs: unknown[] } }> } })._def.procedures;
  return Object.entries(record)
    .filter(([, p]) => p._def.type === "query" || p._def.type === "mutation")
    .map(([name, p]) => ({ path: name, type: p._def.type as "query" | "mutation", hasInput: p._def.inputs.length > 0 }));
}

/** Field names the procedures take, so malformed objects often hit a real field with a wrong value. */
const FIELDS = [
  "id", "name", "kind", "url", "metric", "matchers", "start", "end", "stepMs", "maxPoints", "fn", "quantile", "aggregate", "spec", "patch",
  "rule", "hours", "minutes", "enabled", "limit", "states", "state", "from", "to", "search", "label", "at", "key", "seriesKey", "sensitivity",
  "fingerprint", "interval", "timeout", "labels", "annotations", "comparator", "value", "query", "since", "groupBy", "endsAt", "comment",
  "createdBy", "secret", "ruleId", "channelId", "auth", "title", "controller", "for",
];

/**
 * Huge strings: mutations carry them in the body; queries in the URL, where more than
 * Node's 16 KiB of request head is refused with 431 before Loopscope sees it, so query
 * sizes stay below that to reach the validation.
 */
const huge = (n: number) => fc.constantFrom("x".repeat(n), "\u0000".repeat(Math.floor(n / 10)), "😀".repeat(Math.floor(n / 20)), "[".repeat(Math.floor(n / 4)));

function inputs(type: ProcedureInfo["type"]) {
  const big = type === "mutation" ? 200_000 : 4_000;
  const malformedValue = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(-1, 0, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, "", " ", "null", "NaN", "1e999", "__proto__", true, null, [], {}),
    fc.string({ maxLength: 50 }),
    huge(big / 10),
  );
  const malformedObject = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 12 })), malformedValue, { maxKeys: 6 });
  return fc.oneof(
    { weight: 3, arbitrary: malformedObject },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    { weight: 1, arbitrary: fc.record({ id: malformedValue, patch: malformedObject }) },
    { weight: 1, arbitrary: fc.record({ rule: malformedObject, hours: malformedValue }) },
    { weight: 1, arbitrary: huge(big) },
  );
}

/** What a refused input must say: a BAD_REQUEST (or a parse error) whose message names the problem. */
function checkAnswer(procedure: ProcedureInfo, input: unknown, answer: TrpcAnswer): void {
  const where = `${procedure.type} ${procedure.path} with ${JSON.stringify(input)?.slice(0, 300)}`;
  expect(answer.status, `${where} → ${answer.error?.message?.slice(0, 300) ?? answer.text?.slice(0, 300)}`).toBeLessThan(500);
  if (answer.status !== 400) return;
  expect(answer.error, `${where}: a tRPC error body`).toBeDefined();
  const code = answer.error?.data?.code;
  expect(["BAD_REQUEST", "PARSE_ERROR"], `${where}: code`).toContain(code);
  const message = answer.error?.message ?? "";
  expect(message.trim().length, `${where}: a message`).toBeGreaterThan(0);
  if (code === "BAD_REQUEST") {
    // Validation problems come as "field: message" lines (the formatter's `issues`), or a domain message.
    const issues = answer.error?.data?.issues;
    if (issues) {
      // An input that failed validation: every problem as "field: what is wrong", and the message names the fields too.
      expect(issues.length, `${where}: issues`).toBeGreaterThan(0);
      for (const issue of issues) {
        expect(issue, `${where}: issue`).toMatch(/^[^:]+: \S/);
        const field = issue.slice(0, issue.indexOf(": ")).split(".").at(-1) ?? "";
        if (field !== "input") expect(message, `${where}: message names ${field}`).toContain(field);
      }
    } else {
      expect(message, `${where}: message`).not.toMatch(/^(Bad Request|BAD_REQUEST|Internal)/i);
    }
  }
}

describe("proof: fuzzing every tRPC procedure over HTTP", () => {
  let db: TestDatabase;
  let dataDir: string;
  let app: AppProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-proof-fuzz-"));
    app = await startApp({
      DATABASE_URL: db.url,
      LOOPSCOPE_DATA_DIR: dataDir,
      LOOPSCOPE_SOURCE: "demo",
      LOOPSCOPE_DEMO_SCHEDULE: "none",
      LOOPSCOPE_SCRAPE_INTERVAL: "1s",
      LOOPSCOPE_LOG_LEVEL: "error",
    });
    await waitForServices(app.url);
  });

  afterAll(async () => {
    if (app?.child.exitCode === null) await app.stop("SIGTERM");
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers random and malformed input to every procedure without a 5xx, with clear BAD_REQUESTs", async () => {
    const all = procedures();
    expect(all.length).toBeGreaterThan(40);
    const refused = new Map<string, number>();
    for (const procedure of all) {
      await fc.assert(
        fc.asyncProperty(inputs(procedure.type), async (input) => {
          const answer = await trpcCall(app.url, procedure.type, procedure.path, input);
          checkAnswer(procedure, input, answer);
          if (answer.error?.data?.code === "BAD_REQUEST") refused.set(procedure.path, (refused.get(procedure.path) ?? 0) + 1);
        }),
        { numRuns: 12, seed: 8, endOnFailure: true },
      );
    }
    // Every procedure that takes input refused some of the garbage: its input is validated.
    const unvalidated = all.filter((p) => p.hasInput && !refused.has(p.path)).map((p) => p.path);
    expect(unvalidated).toEqual([]);
    expect(app.child.exitCode).toBeNull();
    expect((await fetch(`${app.url}/api/healthz`)).status).toBe(200);
  });

  it("answers broken requests (bad JSON, wrong method, unknown procedure, huge bodies) with 4xx", async () => {
    const post = (procedure: string, body: string) =>
      fetch(`${app.url}/api/trpc/${procedure}`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const badJson = await post("alerts.rules.create", "{not json");
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { message: string } }).error.message).toMatch(/JSON|parse|Unexpected/i);

    const badQuery = await fetch(`${app.url}/api/trpc/query.range?input=%7Bbroken`);
    expect(badQuery.status).toBe(400);

    const wrongMethod = await fetch(`${app.url}/api/trpc/alerts.rules.create`);
    expect(wrongMethod.status).toBeGreaterThanOrEqual(400);
    expect(wrongMethod.status).toBeLessThan(500);

    const unknown = await fetch(`${app.url}/api/trpc/no.such.procedure`);
    expect(unknown.status).toBe(404);

    // A body over the limit may be refused (413) before it is read, so the answer is awaited, not the upload.
    const big = await statusOfUpload(`${app.url}/api/trpc/alerts.channels.create`, JSON.stringify({ name: "x".repeat(8_000_000), kind: "webhook", url: "http://127.0.0.1/" }));
    expect(big).toBeGreaterThanOrEqual(400);
    expect(big).toBeLessThan(500);

    const deep = await post("alerts.rules.validate", `${"[".repeat(50_000)}${"]".repeat(50_000)}`);
    expect(deep.status).toBeGreaterThanOrEqual(400);
    expect(deep.status).toBeLessThan(500);

    // A batch call mixing good and bad inputs answers each on its own.
    const batch = await fetch(`${app.url}/api/trpc/alerts.rules.get,system.status?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { id: "one" }, 1: {} }))}`);
    expect(batch.status).toBeLessThan(500);

    expect(app.child.exitCode).toBeNull();
    expect((await fetch(`${app.url}/api/healthz`)).status).toBe(200);
  });
});

/** POSTs `body` and resolves with the response status, even when the server answers before reading it all. */
function statusOfUpload(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", (error) => setTimeout(() => reject(error), 1_000));
    request.end(body);
  });
}
