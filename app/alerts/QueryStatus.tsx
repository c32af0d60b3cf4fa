import type { ReactNode } from "react";

export interface QueryStatusProps {
  /** What is being loaded, e.g. "alerts". */
  what: string;
  isPending: boolean;
  error: { message: string } | null;
  children: ReactNode;
}

/**
 * Loading and error states around a query's content: a "Loading …" line until the first answer,
 * an alert with the server's message when it fails (content from an earlier answer stays shown).
 */
export function QueryStatus({ what, isPending, error, children }: QueryStatusProps) {
  return (
    <>
      {error ? (
        <p className="error" role="alert" data-testid="query-error">
          Could not load {what}: {error.message}
        </p>
      ) : null}
      {isPending && !error ? (
        <p className="muted" aria-live="polite">
          Loading {what}…
        </p>
      ) : null}
      {isPending ? null : children}
    </>
  );
}
