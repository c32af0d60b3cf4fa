"use client";

import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { useUrlState } from "../../components/hooks/use-url-state";
import { useTRPC } from "../_trpc/client";
import { ActiveAlertsPanel } from "./ActiveAlertsPanel";
import { ChannelsPanel } from "./ChannelsPanel";
import { DeliveriesPanel } from "./DeliveriesPanel";
import { HistoryPanel } from "./HistoryPanel";
import { RulesPanel } from "./RulesPanel";
import { SilencesPanel } from "./SilencesPanel";

// Loaded when asked for (a notification's link, a form opened), so the alerts list does not carry
// the chart library, the rule form or the silence matcher's regex engine in its first load.
const AlertDetail = dynamic(() => import("./AlertDetail").then((m) => m.AlertDetail), { loading: () => <p className="muted">Loading the alert…</p> });

const TABS = [
  { id: "active", label: "Firing & pending" },
  { id: "history", label: "History" },
  { id: "rules", label: "Rules" },
  { id: "silences", label: "Silences" },
  { id: "channels", label: "Channels" },
  { id: "deliveries", label: "Deliveries" },
] as const;
type TabId = (typeof TABS)[number]["id"];

/**
 * The view state in the URL: the tab, and what is open in it — `rule` (an id or "new"),
 * `channel` (an id or "new"), `silence` (an alert fingerprint or "new"); `alert` (a fingerprint,
 * the link every notification carries) opens that alert's detail page.
 */
const VIEW_DEFAULTS = { tab: "active", rule: "", channel: "", silence: "", alert: "" };
export type AlertsViewState = typeof VIEW_DEFAULTS;
export type SetAlertsView = (patch: Partial<Record<keyof AlertsViewState, string | null>>) => void;

function isTab(value: string): value is TabId {
  return TABS.some((t) => t.id === value);
}

/** The alerts page body: a tab bar (state in the URL) over one panel. Needs <Suspense> (useSearchParams). */
export function AlertsView() {
  const trpc = useTRPC();
  const [view, setView] = useUrlState(VIEW_DEFAULTS, { history: "push" });
  const tab: TabId = isTab(view.tab) ? view.tab : "active";
  const alerts = useQuery({ ...trpc.alerts.list.queryOptions({ states: ["pending", "firing"] }), refetchInterval: 5_000 });
  const deadLetters = useQuery({ ...trpc.alerts.deliveries.counts.queryOptions(), refetchInterval: 15_000 });
  const firing = alerts.data?.filter((a) => a.state === "firing").length ?? 0;
  const dead = deadLetters.data?.dead ?? 0;

  if (/^[0-9a-f]{16}$/.test(view.alert)) return <AlertDetail fingerprint={view.alert} onClose={() => setView({ alert: null })} />;
  return (
    <>
      {view.alert ? <p className="error">&quot;{view.alert}&quot; is not an alert id (16 hex digits).</p> : null}
      <div className="view-toolbar">
        <nav className="segmented" aria-label="Alerts sections">
          {TABS.map((t) => (
            <button
              key={t.id}
              type="button"
              aria-pressed={tab === t.id}
              data-testid={`tab-${t.id}`}
              onClick={() => setView({ tab: t.id, rule: null, channel: null, silence: null })}
            >
              {t.label}
              {t.id === "active" && firing > 0 ? ` (${firing})` : ""}
              {t.id === "deliveries" && dead > 0 ? ` (${dead} dead)` : ""}
            </button>
          ))}
        </nav>
      </div>
      <section aria-label={TABS.find((t) => t.id === tab)?.label}>
        {tab === "active" ? <ActiveAlertsPanel view={view} setView={setView} /> : null}
        {tab === "history" ? <HistoryPanel /> : null}
        {tab === "rules" ? <RulesPanel view={view} setView={setView} /> : null}
        {tab === "silences" ? <SilencesPanel view={view} setView={setView} /> : null}
        {tab === "channels" ? <ChannelsPanel view={view} setView={setView} /> : null}
        {tab === "deliveries" ? <DeliveriesPanel /> : null}
      </section>
    </>
  );
}

