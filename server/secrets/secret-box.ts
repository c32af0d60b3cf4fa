import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretDecryptionError";
  }
}

/**
 * Encrypts short secrets (webhook URLs, tokens) with AES-256-GCM. Each value gets a
 * fresh random IV; the stored form is `v1:<base64 iv|tag|ciphertext>`. Decryption
 * fails loudly when the value was altered or encrypted under another key.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error(`AES-256-GCM needs a 32-byte key, got ${key.length} bytes.`);
    this.key = Buffer.from(key);
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
  }

  decrypt(stored: string): string {
    const [version, data] = stored.split(":", 2);
    if (version !== VERSION || !data) throw new SecretDecryptionError("The stored secret has an unknown format.");
    const raw = Buffer.from(data, "base64");
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretDecryptionError("The stored secret is truncated.");
    const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      throw new SecretDecryptionError(
        "The stored secret cannot be decrypted: it was altered or encrypted with another key (check LOOPSCOPE_SECRET_KEY / secret.key).",
      );
    }
  }
}
