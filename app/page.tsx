"use client";

import { useQuery } from "@tanstack/react-query";
import { StatusPanel } from "../components/StatusPanel";
import { useTRPC } from "./_trpc/client";

export default function OverviewPage() {
  const trpc = useTRPC();
  const status = useQuery({ ...trpc.system.status.queryOptions(), refetchInterval: 5_000 });
  return (
    <>
      <h1>Overview</h1>
      {status.error ? <p className="error">Could not load status: {status.error.message}</p> : null}
      {status.data ? <StatusPanel status={status.data} /> : <p className="muted">Loading status…</p>}
    </>
  );
}
