import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type AuthHarness, allProcedures, callProcedure, startHarness } from "./harness";

const dataDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-auth-"));

describe("authentication from a trusted proxy (LOOPSCOPE_AUTH=proxy)", () => {
  let app: AuthHarness | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("maps proxy groups to roles: editors mutate, viewers only read, no identity is refused", async () => {
    app = await startHarness({ LOOPSCOPE_AUTH: "proxy", LOOPSCOPE_AUTH_PROXY_EDITOR_GROUPS: "sre" }, dataDir());
    const mutation = allProcedures().find((p) => p.path === "targets.create");
    expect(mutation?.type).toBe("mutation");
    const same = { origin: app.url, "sec-fetch-site": "same-origin" };
    expect((await callProcedure(app.url, "targets.create", "mutation", same)).status).toBe(401);
    const viewer = await callProcedure(app.url, "targets.create", "mutation", { ...same, "x-forwarded-user": "ann", "x-forwarded-groups": "dev" });
    expect(viewer).toMatchObject({ status: 403, code: "FORBIDDEN" });
    expect((await callProcedure(app.url, "system.status", "query", { "x-forwarded-user": "ann", "x-forwarded-groups": "dev" })).status).toBe(200);

    // An editor's page load sets the CSRF cookie; mutations need it echoed.
    const page = await fetch(`${app.url}/`, { headers: { "x-forwarded-user": "bob", "x-forwarded-groups": "dev,sre" } });
    expect(page.status).toBe(200);
    const csrf = /loopscope_csrf=([^;]+)/.exec(page.headers.getSetCookie().join("\n"))?.[1] ?? "";
    expect(csrf).not.toBe("");
    const editorHeaders = { ...same, "x-forwarded-user": "bob", "x-forwarded-groups": "dev,sre" };
    expect((await callProcedure(app.url, "targets.create", "mutation", editorHeaders)).message).toMatch(/CSRF token/);
    const editor = await callProcedure(app.url, "targets.create", "mutation", { ...editorHeaders, "x-loopscope-csrf": csrf });
    expect(editor.code).toBe("BAD_REQUEST"); // past authorisation, stopped by input validation
  });

  it("ignores proxy headers from peers that are not trusted", async () => {
    app = await startHarness({ LOOPSCOPE_AUTH: "proxy", LOOPSCOPE_AUTH_PROXY_EDITOR_GROUPS: "sre", LOOPSCOPE_AUTH_PROXY_TRUSTED: "10.1.2.3" }, dataDir());
    const result = await callProcedure(app.url, "system.status", "query", { "x-forwarded-user": "mallory", "x-forwarded-groups": "sre" });
    expect(result).toMatchObject({ status: 401, message: expect.stringMatching(/no identity from the authenticating proxy/) });
  });
});

describe("start-up on a non-loopback address", () => {
  it("refuses to start without authentication (exit 2, clear message)", { timeout: 120_000 }, async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
      env: { ...process.env, HOST: "0.0.0.0", PORT: "1", LOOPSCOPE_SKIP_BUILD: "1", LOOPSCOPE_AUTH: "", LOOPSCOPE_ADMIN_PASSWORD: "", LOOPSCOPE_DATA_DIR: dataDir() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(output).toMatch(/HOST="0\.0\.0\.0" is not a loopback address, so authentication is required/);
    expect(output).toMatch(/LOOPSCOPE_AUTH=none turns authentication off explicitly/);
  });
});
