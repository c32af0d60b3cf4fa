"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { emptyTargetFormValues, TargetForm, type TargetFormValues } from "../../components/forms/TargetForm";
import { useNow } from "../../components/hooks/use-now";
import { useUrlState } from "../../components/hooks/use-url-state";
import { type TargetRow, TargetsTable } from "../../components/tables/TargetsTable";
import { useTRPC } from "../_trpc/client";
import type { TargetItem } from "../alerts/api-types";
import { type FieldErrors, formErrorsFrom } from "../alerts/form-errors";
import { QueryStatus } from "../alerts/QueryStatus";
import { targetFieldMapper, targetInputFrom, targetValuesFrom } from "./target-mapping";

const VIEW_DEFAULTS = { edit: "" };

function targetRow(t: TargetItem): TargetRow {
  return {
    id: t.id,
    name: t.name,
    url: t.url,
    up: t.up,
    enabled: t.enabled,
    intervalMs: t.intervalMs,
    lastScrapeAt: t.lastScrapeAt,
    lastDurationMs: t.lastDurationMs,
    lastSamples: t.lastSamples,
    lastError: t.lastError,
    rejectedSamples: t.rejectedSamples,
    lastRejection: t.lastRejection,
    origin: t.origin === "config" ? "config" : "api",
  };
}

/** One line on a scrape's outcome, e.g. "up: 312 samples in 4 ms". */
function healthText(t: Pick<TargetItem, "up" | "lastError" | "lastSamples" | "lastDurationMs">): string {
  if (t.up === null) return "not scraped yet";
  if (!t.up) return `down: ${t.lastError ?? "no answer"}`;
  return `up: ${t.lastSamples ?? 0} samples${t.lastDurationMs === null ? "" : ` in ${Math.round(t.lastDurationMs)} ms`}`;
}

/** The targets page body (list refreshed every 5 s; the open form in the URL as `?edit=new|<id>`). Needs <Suspense>. */
export function TargetsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tick = useNow(5_000);
  const [view, setView] = useUrlState(VIEW_DEFAULTS, { history: "push" });
  const targets = useQuery({ ...trpc.targets.list.queryOptions(), refetchInterval: 5_000 });
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.targets.pathKey() });
  const remove = useMutation(trpc.targets.remove.mutationOptions({ onSettled: invalidate }));
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const rows = useMemo(() => (targets.data ?? []).map(targetRow), [targets.data]);
  // "x ago" is relative to the newer of the clock tick and the answer, so fresh scrapes never read "in 2s".
  const now = Math.max(tick, targets.dataUpdatedAt);
  const editing = view.edit && view.edit !== "new" ? targets.data?.find((t) => String(t.id) === view.edit) : undefined;
  const up = rows.filter((r) => r.up === true).length;

  return (
    <QueryStatus what="targets" isPending={targets.isPending} error={targets.error}>
      <div className="panel">
        <div className="table-toolbar">
          <span className="muted" data-testid="targets-summary">
            {rows.length} target{rows.length === 1 ? "" : "s"} · {up} up · {rows.filter((r) => r.up === false).length} down
          </span>
          {view.edit ? null : (
            <button type="button" className="primary" onClick={() => setView({ edit: "new" })}>
              Add target
            </button>
          )}
        </div>
        {notice ? (
          <p className={notice.ok ? "status-ok" : "error"} role="status" data-testid="target-notice">
            {notice.text}
          </p>
        ) : null}
        {remove.error ? (
          <p className="error" role="alert">
            Could not remove the target: {remove.error.message}
          </p>
        ) : null}
        <TargetsTable
          rows={rows}
          now={now}
          onEdit={(row) => setView({ edit: String(row.id) })}
          onRemove={(row) => {
            setNotice(null);
            remove.mutate({ id: row.id });
          }}
        />
      </div>
      {view.edit === "new" ? (
        <TargetEditor
          key="new"
          onDone={(text) => {
            setNotice(text);
            setView({ edit: null });
          }}
        />
      ) : null}
      {editing ? (
        <TargetEditor
          key={editing.id}
          target={editing}
          onDone={(text) => {
            setNotice(text);
            setView({ edit: null });
          }}
        />
      ) : null}
      {view.edit && view.edit !== "new" && !editing && targets.data ? (
        <p className="muted" role="status">
          Target {view.edit} does not exist.{" "}
          <button type="button" onClick={() => setView({ edit: null })}>
            Close
          </button>
        </p>
      ) : null}
    </QueryStatus>
  );
}

/**
 * TargetForm wired to targets.create / targets.update (server messages under their fields). A new
 * target is scraped at once so its health shows without waiting an interval; an edited one can be.
 */
function TargetEditor({ target, onDone }: { target?: TargetItem; onDone: (notice: { ok: boolean; text: string } | null) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<TargetFormValues>(() => (target ? targetValuesFrom(target) : emptyTargetFormValues()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [scrapeResult, setScrapeResult] = useState<{ ok: boolean; text: string } | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.targets.pathKey() });
  const onError = (error: { message: string; data?: { issues?: readonly string[] | null } | null }) => setErrors(formErrorsFrom(error, targetFieldMapper));
  const scrapeNow = useMutation(trpc.targets.scrapeNow.mutationOptions({ onSettled: invalidate }));
  const create = useMutation(
    trpc.targets.create.mutationOptions({
      onError,
      onSuccess: async (created) => {
        onDone({ ok: true, text: `Added ${created.name}; scraping it now…` });
        try {
          const t = await scrapeNow.mutateAsync({ id: created.id });
          onDone({ ok: t.up === true, text: `${t.name}: ${healthText(t)}` });
        } catch (error) {
          onDone({ ok: false, text: `${created.name}: could not scrape: ${error instanceof Error ? error.message : String(error)}` });
        }
      },
    }),
  );
  const update = useMutation(
    trpc.targets.update.mutationOptions({
      onError,
      onSuccess: async (t) => {
        await invalidate();
        onDone({ ok: true, text: `Saved ${t.name}.` });
      },
    }),
  );

  return (
    <div className="panel" data-testid="target-editor">
      <h2>{target ? `Edit ${target.name}` : "Add a scrape target"}</h2>
      <TargetForm
        mode={target ? "edit" : "create"}
        values={values}
        onChange={setValues}
        hasStoredSecret={target?.hasSecret}
        errors={errors}
        submitting={create.isPending || update.isPending}
        onCancel={() => onDone(null)}
        onSubmit={(v) => {
          const result = targetInputFrom(v, target);
          if ("errors" in result) {
            setErrors(result.errors);
            return;
          }
          setErrors({});
          if (target) update.mutate({ id: target.id, patch: result.input });
          else create.mutate(result.input);
        }}
      />
      {target ? (
        <div className="form-actions" style={{ marginTop: "0.6rem", alignItems: "center" }}>
          <button
            type="button"
            disabled={scrapeNow.isPending}
            onClick={() =>
              scrapeNow.mutate(
                { id: target.id },
                {
                  onSuccess: (t) => setScrapeResult({ ok: t.up === true, text: healthText(t) }),
                  onError: (error) => setScrapeResult({ ok: false, text: error.message }),
                },
              )
            }
          >
            {scrapeNow.isPending ? "Scraping…" : "Scrape now"}
          </button>
          {scrapeResult ? (
            <span className={scrapeResult.ok ? "status-ok" : "error"} role="status" data-testid="scrape-result">
              {scrapeResult.text}
            </span>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
