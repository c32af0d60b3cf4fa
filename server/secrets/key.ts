import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Where the generated key lives when LOOPSCOPE_SECRET_KEY is not set. */
export function secretKeyPath(dataDir: string): string {
  return path.join(dataDir, "secret.key");
}

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretKeyError";
  }
}

function parseHexKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(trimmed)) {
    throw new SecretKeyError(`${where} must hold 64 hex characters (a 32-byte key); fix or remove it.`);
  }
  return Buffer.from(trimmed, "hex");
}

/**
 * The 32-byte key that encrypts secrets at rest. It comes from `envKey`
 * (LOOPSCOPE_SECRET_KEY, 64 hex) when given; otherwise it is read from
 * `<dataDir>/secret.key`, which is generated once with mode 0600 when missing. Two
 * processes racing to generate it end up with the same key (exclusive create).
 */
export function loadSecretKey(options: { envKey?: string; dataDir: string }): Buffer {
  if (options.envKey) return parseHexKey(options.envKey, "LOOPSCOPE_SECRET_KEY");
  const file = secretKeyPath(options.dataDir);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(options.dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return parseHexKey(fs.readFileSync(file, "utf8"), file);
}
