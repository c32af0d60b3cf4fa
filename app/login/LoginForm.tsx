"use client";

import { type FormEvent, useState } from "react";

/** Posts the credentials as JSON (plain form post without JavaScript) and shows refusals, including the rate limit. */
export function LoginForm({ next, initialError }: { next: string; initialError?: string }) {
  const [error, setError] = useState(initialError);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      const res = await fetch("/api/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: data.get("username"), password: data.get("password"), next }),
      });
      const body = (await res.json().catch(() => ({}))) as { error?: string; next?: string };
      if (res.ok) {
        window.location.assign(body.next ?? next);
        return;
      }
      setError(body.error ?? `Sign-in failed (HTTP ${res.status}).`);
    } catch {
      setError("Could not reach Loopscope.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form method="post" action="/api/auth/login" onSubmit={submit} style={{ display: "grid", gap: "0.75rem", maxWidth: "22rem" }}>
      <input type="hidden" name="next" value={next} />
      <label>
        User name
        <br />
        <input name="username" autoComplete="username" required defaultValue="admin" />
      </label>
      <label>
        Password
        <br />
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {error ? (
        <p role="alert" data-testid="login-error">
          {error}
        </p>
      ) : null}
      <button type="submit" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
