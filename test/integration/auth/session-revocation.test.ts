import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresRevocations } from "../../../server/auth/session-revocations";
import { disconnectAll, prismaClient } from "../../../server/store/prisma";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { type AuthHarness, cookiesFrom, startHarness } from "./harness";

/**
 * Issue 17, item 6: signing out must hold on every replica and after a restart. Two replicas
 * (two real HTTP fronts with their own AuthService, one session key, one PostgreSQL), then a
 * third started afterwards (a restart).
 */
const PASSWORD = "correct horse battery";
let db: TestDatabase;
const apps: AuthHarness[] = [];

async function replica(): Promise<AuthHarness> {
  const env = { LOOPSCOPE_AUTH: "password", LOOPSCOPE_ADMIN_PASSWORD: PASSWORD, LOOPSCOPE_SESSION_KEY: SESSION_KEY };
  const app = await startHarness(env, fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-revoke-")));
  app.auth.keepSignOutsIn(new PostgresRevocations(prismaClient(db.url), Date.now, 0));
  apps.push(app);
  return app;
}

const SESSION_KEY = randomBytes(32).toString("hex");

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await disconnectAll();
  await db?.drop();
});

async function whoami(app: AuthHarness, cookie: string): Promise<string | null> {
  const res = await fetch(`${app.url}/api/trpc/system.whoami`, { headers: { cookie } });
  const body = (await res.json()) as { result: { data: { principal: { name: string } | null } } };
  return body.result.data.principal?.name ?? null;
}

describe("sign-out across replicas and restarts", () => {
  it("a cookie signed out on one replica is refused by the other and by a restarted one", async () => {
    const [a, b] = [await replica(), await replica()];
    const login = await fetch(`${a.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: a.url },
      body: JSON.stringify({ username: "admin", password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const { header: cookie, csrf } = cookiesFrom(login);
    expect(await whoami(a, cookie)).toBe("admin");
    expect(await whoami(b, cookie)).toBe("admin");

    const logout = await fetch(`${a.url}/api/auth/logout`, { method: "POST", headers: { cookie, origin: a.url, "x-loopscope-csrf": csrf ?? "" } });
    expect(logout.status).toBe(200);
    expect(await whoami(a, cookie)).toBeNull();
    expect(await whoami(b, cookie)).toBeNull();

    const restarted = await replica();
    expect(await whoami(restarted, cookie)).toBeNull();
    const rows = await prismaClient(db.url).revokedSession.count();
    expect(rows).toBe(1);
  });
});
