import { headers } from "next/headers";
import { readPageContext } from "../../server/http/page-context";
import { safeNextPath } from "../../server/http/respond";
import { LoginForm } from "./LoginForm";

export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export default async function LoginPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const mode = readPageContext(await headers())?.authMode;
  const next = safeNextPath(first(params.next));
  return (
    <>
      <h1>Sign in</h1>
      {mode === "password" ? (
        <>
          {first(params.signedOut) ? <p data-testid="signed-out">You are signed out.</p> : null}
          <LoginForm next={next} initialError={first(params.error) ? "Wrong user name or password." : undefined} />
        </>
      ) : mode === "proxy" ? (
        <p>Sign-in happens at the authenticating proxy in front of Loopscope.</p>
      ) : mode === "none" ? (
        <p>
          Authentication is off: Loopscope is bound to loopback and everyone who can reach it is an editor. <a href="/">Open the dashboard</a>.
        </p>
      ) : (
        <p>Start Loopscope with `npm start` (server/main.ts): its server tells this page how sign-in works.</p>
      )}
    </>
  );
}
