import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

/**
 * The embedded server's two roles: the superuser (only Loopscope's own set-up connects as
 * it) and the application role the app uses (no superuser, no CREATEROLE, no server
 * programs or files). Their random passwords are generated once into
 * `<data folder>/pg-credentials.json`, mode 600, never logged.
 */
export const SUPERUSER = "postgres";
export const APP_ROLE = "loopscope";
/** The superuser password of clusters initialised before passwords were generated. */
export const LEGACY_SUPERUSER_PASSWORD = "postgres";

const credentialsSchema = z.object({ superuserPassword: z.string().min(32), appPassword: z.string().min(32) });
export type EmbeddedCredentials = z.infer<typeof credentialsSchema>;

export function credentialsFile(dataDir: string): string {
  return path.join(dataDir, "pg-credentials.json");
}

function newPassword(): string {
  return randomBytes(24).toString("base64url");
}

/** Reads the credentials file, or creates it (mode 600) when missing; `created` says which. */
export function loadCredentials(dataDir: string): { credentials: EmbeddedCredentials; created: boolean } {
  const file = credentialsFile(dataDir);
  if (fs.existsSync(file)) {
    fs.chmodSync(file, 0o600);
    const parsed = credentialsSchema.safeParse(JSON.parse(fs.readFileSync(file, "utf8")));
    if (!parsed.success) throw new Error(`${file} is not a valid credentials file (${parsed.error.issues[0]?.message}); restore it from a backup.`);
    return { credentials: parsed.data, created: false };
  }
  const credentials = { superuserPassword: newPassword(), appPassword: newPassword() };
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(credentials)}\n`, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
  return { credentials, created: true };
}
