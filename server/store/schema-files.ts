import fs from "node:fs";
import path from "node:path";
import type { SchemaFile } from "./schema-diff";

export const SCHEMA_DIR = path.resolve(process.cwd(), "prisma", "schema");
export const MIGRATIONS_DIR = path.resolve(process.cwd(), "prisma", "migrations");
/** Each migration keeps the schema it was generated from, so the next diff is schema → schema. */
export const SNAPSHOT_FILE = "schema.prisma.snapshot";

export function currentSchemaFiles(dir = SCHEMA_DIR): SchemaFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".prisma"))
    .sort()
    .map((f) => ({ path: path.join(dir, f), content: fs.readFileSync(path.join(dir, f), "utf8") }));
}

/** The whole schema as one text, as stored beside each migration. */
export function schemaSnapshot(files: SchemaFile[]): string {
  return files.map((f) => `// ---- ${path.basename(f.path)}\n${f.content.trimEnd()}\n`).join("\n");
}

export function latestSnapshot(dir = MIGRATIONS_DIR): SchemaFile | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const names = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const latest = names.at(-1);
  if (!latest) return undefined;
  const file = path.join(dir, latest, SNAPSHOT_FILE);
  if (!fs.existsSync(file)) throw new Error(`Migration ${latest} has no ${SNAPSHOT_FILE}; cannot diff from it.`);
  return { path: path.join(dir, latest, "schema.prisma"), content: fs.readFileSync(file, "utf8") };
}
