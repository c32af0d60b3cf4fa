import { loadSecretKey } from "../secrets/key";
import { AuthService, deriveSessionKey } from "./auth-service";
import { type AuthConfig, type AuthSettings, loadAuthSettings } from "./settings";

export { type Authentication, AuthService, endpointTokenOk } from "./auth-service";
export { type HeaderLookup, nodeHeaders, webHeaders } from "./headers";
export { hasRole, LOCAL_EDITOR, type Principal, type Role } from "./principal";
export { type AuthSettings, isLoopbackHost, loadAuthSettings } from "./settings";

/**
 * The process's AuthService. The session key is LOOPSCOPE_SESSION_KEY, or derived (HKDF) from
 * the secret key (LOOPSCOPE_SECRET_KEY or `<dataDir>/secret.key`, generated once) — so sessions
 * survive restarts and replicas sharing the secret key accept each other's cookies.
 */
export function createAuthService(settings: AuthSettings, config: { LOOPSCOPE_SECRET_KEY?: string; dataDir: string }): AuthService {
  let key: Buffer | undefined;
  if (settings.sessionKeyHex) key = Buffer.from(settings.sessionKeyHex, "hex");
  else if (settings.mode !== "none") key = deriveSessionKey(loadSecretKey({ envKey: config.LOOPSCOPE_SECRET_KEY, dataDir: config.dataDir }));
  return new AuthService(settings, key);
}

/** Validates the authentication settings (ConfigError → exit 2) and creates the service. */
export function startAuth(config: AuthConfig & { LOOPSCOPE_SECRET_KEY?: string; dataDir: string }): AuthService {
  return createAuthService(loadAuthSettings(config), config);
}
