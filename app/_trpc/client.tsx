"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchStreamLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { type ReactNode, useState } from "react";
import type { AppRouter } from "../../server/trpc/root";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/** The CSRF token the server set in the `loopscope_csrf` cookie, echoed in a header on every call. */
function csrfHeaders(): Record<string, string> {
  const match = /(?:^|;\s*)loopscope_csrf=([^;]+)/.exec(typeof document === "undefined" ? "" : document.cookie);
  return { "x-loopscope-csrf": match ? decodeURIComponent(match[1]) : "1" };
}

/** A session that expired while the page was open: back to the login page. */
const fetchOrSignIn: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (res.status === 401 && typeof window !== "undefined" && !window.location.pathname.startsWith("/login")) {
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
  }
  return res;
};

/** React Query + tRPC for every page (create-t3-app's wiring). */
export function TrpcReactProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { staleTime: 2_000, refetchOnWindowFocus: false, retry: 1 } } }),
  );
  // maxItems stays below the server's LOOPSCOPE_TRPC_MAX_BATCH default (16).
  const [trpcClient] = useState(() => createTRPCClient<AppRouter>({ links: [httpBatchStreamLink({ url: "/api/trpc", headers: csrfHeaders, fetch: fetchOrSignIn, maxItems: 10 })] }));
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
