import { loadSecretKey } from "./key";
import { SecretBox } from "./secret-box";

export { loadSecretKey, SecretKeyError, secretKeyPath } from "./key";
export { maskSecret, maskUrl } from "./mask";
export { SecretBox, SecretDecryptionError } from "./secret-box";

/** The process's SecretBox, keyed from LOOPSCOPE_SECRET_KEY or `<dataDir>/secret.key`. */
export function openSecretBox(config: { LOOPSCOPE_SECRET_KEY?: string; dataDir: string }): SecretBox {
  return new SecretBox(loadSecretKey({ envKey: config.LOOPSCOPE_SECRET_KEY, dataDir: config.dataDir }));
}
