import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";

/**
 * Offline `prisma migrate diff` through the schema engine compiled to WebAssembly
 * (@prisma/schema-engine-wasm). It needs a reachable database for its connector even
 * for schema-to-schema diffs; nothing is changed in that database.
 */
export interface SchemaFile {
  path: string;
  content: string;
}

interface WasmEngine {
  diff(params: unknown): Promise<{ exitCode: number; stdout: string | null }>;
}
interface WasmModule {
  SchemaEngine: { new: (options: unknown, log: (line: string) => void, adapter: object) => Promise<WasmEngine> };
}

let loaded: Promise<WasmModule> | undefined;

/** Node 20 cannot import .wasm ES modules without a flag, so we instantiate the module by hand. */
function loadEngine(): Promise<WasmModule> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve("@prisma/schema-engine-wasm"));
    const bg = (await import(path.join(dir, "schema_engine_bg.js"))) as Record<string, unknown> & {
      __wbg_set_wasm: (exports: WebAssembly.Exports) => void;
    };
    const bytes = readFileSync(path.join(dir, "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": bg as WebAssembly.ModuleImports });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bg as unknown as WasmModule;
  })();
  return loaded;
}

export type DiffSide = { tag: "empty" } | { tag: "schemaDatamodel"; files: SchemaFile[] };

/** Returns the SQL script that migrates a database from `from` to `to` ("" when equal). */
export async function diffSchemas(from: DiffSide, to: DiffSide, databaseUrl: string): Promise<string> {
  const wasm = await loadEngine();
  const datamodels = (to.tag === "schemaDatamodel" ? to.files : []).map((f) => [f.path, f.content]);
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString: databaseUrl }));
  const engine = await wasm.SchemaEngine.new({ datamodels }, () => undefined, adapter);
  const result = await engine.diff({ from, to, script: true, exitCode: null, filters: { externalTables: [], externalEnums: [] } });
  return result.stdout ?? "";
}

/** Whether a diff script contains any statement (the engine prints a comment for an empty diff). */
export function isEmptyDiff(sql: string): boolean {
  return sql
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("--"))
    .every((line) => /^CREATE SCHEMA IF NOT EXISTS "public";$/.test(line));
}
