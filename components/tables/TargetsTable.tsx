"use client";

import { useState } from "react";
import { formatDuration } from "../../shared/duration";
import { formatCount, formatMillis } from "../format/units";
import { Badge } from "../ui/Badge";
import { EmptyRow } from "../ui/EmptyRow";
import { TableScroll } from "../ui/TableScroll";
import { Timestamp } from "../ui/Timestamp";
import { HeaderRow } from "../ui/HeaderRow";

export interface TargetRow {
  id: number;
  name: string;
  url: string;
  /** null until the first scrape. */
  up: boolean | null;
  enabled: boolean;
  intervalMs: number;
  lastScrapeAt: number | null;
  lastDurationMs: number | null;
  lastSamples: number | null;
  lastError: string | null;
  /** Samples of this target refused (bad timestamp, label limits) or rejected by the database, and the last reason. */
  rejectedSamples?: number;
  lastRejection?: string | null;
  /** "config" targets come from the deployment's config file and are edited there. */
  origin?: "api" | "config";
}

export interface TargetsTableProps {
  rows: readonly TargetRow[];
  now?: number;
  onEdit?: (row: TargetRow) => void;
  /** Called after an inline confirmation. */
  onRemove?: (row: TargetRow) => void;
}

/** Scrape targets with Prometheus-style health: up/down, last scrape, duration, samples, last error. */
export function TargetsTable({ rows, now, onEdit, onRemove }: TargetsTableProps) {
  const [confirming, setConfirming] = useState<number | null>(null);
  const actions = Boolean(onEdit || onRemove);
  return (
    <TableScroll label="Scrape targets" testId="targets-table">
      <table>
        <thead>
          <HeaderRow columns={["Target", "Health", "Last scrape", { label: "Duration", numeric: true }, { label: "Samples", numeric: true }, "Error"]} actions={actions} />
        </thead>
        <tbody>
          {rows.length === 0 ? <EmptyRow columns={actions ? 7 : 6}>No scrape targets. Add one to chart another controller's /metrics.</EmptyRow> : null}
          {rows.map((t) => {
            const editable = t.origin !== "config";
            return (
              <tr key={t.id} data-testid="target-row" data-target={t.name} data-up={t.up === null ? "unknown" : String(t.up)}>
                <td>
                  <strong>{t.name}</strong>
                  <div className="muted">
                    <code>{t.url}</code> every {formatDuration(t.intervalMs)}
                  </div>
                </td>
                <td>
                  {!t.enabled ? (
                    <Badge tone="muted">disabled</Badge>
                  ) : t.up === null ? (
                    <Badge tone="muted">unknown</Badge>
                  ) : t.up ? (
                    <Badge tone="ok">up</Badge>
                  ) : (
                    <Badge tone="bad">down</Badge>
                  )}
                </td>
                <td className="nowrap">
                  <Timestamp ts={t.lastScrapeAt} now={now} />
                </td>
                <td className="num">{t.lastDurationMs === null ? "–" : formatMillis(t.lastDurationMs, "exact")}</td>
                <td className="num">{t.lastSamples === null ? "–" : formatCount(t.lastSamples, "exact")}</td>
                <td className="error-text wrap" data-testid="target-error">
                  {t.lastError ?? ""}
                  {t.rejectedSamples ? (
                    <div data-testid="target-rejected">
                      {formatCount(t.rejectedSamples, "exact")} sample{t.rejectedSamples === 1 ? "" : "s"} refused, the rest recorded
                      {t.lastRejection ? `: ${t.lastRejection}` : ""}
                    </div>
                  ) : null}
                </td>
                {actions ? (
                  <td className="actions">
                    {!editable ? (
                      <span className="muted">from config</span>
                    ) : confirming === t.id ? (
                      <>
                        <button
                          type="button"
                          className="danger"
                          onClick={() => {
                            setConfirming(null);
                            onRemove?.(t);
                          }}
                        >
                          Confirm remove
                        </button>
                        <button type="button" onClick={() => setConfirming(null)}>
                          Cancel
                        </button>
                      </>
                    ) : (
                      <>
                        {onEdit ? (
                          <button type="button" onClick={() => onEdit(t)} aria-label={`Edit ${t.name}`}>
                            Edit
                          </button>
                        ) : null}
                        {onRemove ? (
                          <button type="button" onClick={() => setConfirming(t.id)} aria-label={`Remove ${t.name}`}>
                            Remove
                          </button>
                        ) : null}
                      </>
                    )}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableScroll>
  );
}
