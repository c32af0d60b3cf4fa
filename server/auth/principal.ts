/** Who is making a request, and what they may do. */
export type Role = "viewer" | "editor";

export type AuthVia = "local" | "session" | "token" | "proxy";

export interface Principal {
  /** User, token or proxy identity name (never a secret). */
  name: string;
  role: Role;
  via: AuthVia;
  /** What the CSRF token is bound to (session id, proxy user); absent when no token is required. */
  csrfSubject?: string;
  /** Session id (session principals only), so logout can revoke it. */
  sessionId?: string;
}

const RANK: Record<Role, number> = { viewer: 1, editor: 2 };

export function hasRole(principal: Principal | null | undefined, needed: Role): boolean {
  return principal != null && RANK[principal.role] >= RANK[needed];
}

export function isRole(value: string): value is Role {
  return value === "viewer" || value === "editor";
}

/** The local user when Loopscope is bound to loopback with no authentication configured. */
export const LOCAL_EDITOR: Principal = Object.freeze({ name: "local", role: "editor", via: "local" }) as Principal;
