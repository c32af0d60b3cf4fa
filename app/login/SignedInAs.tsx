import { headers } from "next/headers";
import { readPageContext } from "../../server/http/page-context";

/** Header indicator: who is signed in and with which role, plus sign-out for password sessions. Nothing when auth is off. */
export async function SignedInAs() {
  const context = readPageContext(await headers());
  const principal = context?.principal;
  if (!context || context.authMode === "none" || !principal) return null;
  return (
    <div data-testid="signed-in" style={{ display: "flex", gap: "0.5rem", alignItems: "center", fontSize: "0.9em" }}>
      <span>
        Signed in as <strong>{principal.name}</strong> ({principal.role})
      </span>
      {principal.via === "session" ? (
        <form method="post" action="/api/auth/logout">
          <button type="submit">Sign out</button>
        </form>
      ) : null}
    </div>
  );
}
