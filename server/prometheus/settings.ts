import fs from "node:fs";
import { ConfigError, type LoopscopeConfig } from "../config";

/** How requests to the Prometheus-compatible API authenticate. Credentials stay in their files and are read per request. */
export type PrometheusAuth = { kind: "none" } | { kind: "bearer"; tokenFile: string } | { kind: "basic"; user: string; passwordFile: string };

/** The validated settings of the Prometheus data source (LOOPSCOPE_PROMETHEUS_*). */
export interface PrometheusSettings {
  /** The API's base URL without a trailing slash: `<base>/api/v1/query_range` etc. */
  baseUrl: string;
  auth: PrometheusAuth;
  /** Extra request headers (e.g. Mimir's X-Scope-OrgID); their values may be secret. */
  headers: Record<string, string>;
  /** PEM file of the CA(s) that sign the server's certificate (replaces the system roots). */
  caFile?: string;
  timeoutMs: number;
  maxResponseBytes: number;
  /** The scrape interval of the series there: the shortest rate window is 4× this, and the detector's step. */
  scrapeIntervalMs: number;
  /** Labels that, with the controller name, tell controllers apart (default job, namespace). */
  identityLabels: string[];
  /** How long a discovered controller list is reused before the series are asked again. */
  discoveryIntervalMs: number;
}

/** What may be shown about the settings: no credential, no header value. */
export interface PrometheusSettingsView {
  url: string;
  auth: PrometheusAuth["kind"];
  headerNames: string[];
  tls: "system roots" | "custom CA";
}

export type PrometheusConfig = Pick<
  LoopscopeConfig,
  | "LOOPSCOPE_PROMETHEUS_URL"
  | "LOOPSCOPE_PROMETHEUS_BEARER_TOKEN_FILE"
  | "LOOPSCOPE_PROMETHEUS_BASIC_AUTH_USER"
  | "LOOPSCOPE_PROMETHEUS_BASIC_AUTH_PASSWORD_FILE"
  | "LOOPSCOPE_PROMETHEUS_HEADERS"
  | "LOOPSCOPE_PROMETHEUS_CA_FILE"
  | "LOOPSCOPE_PROMETHEUS_TIMEOUT"
  | "LOOPSCOPE_PROMETHEUS_MAX_RESPONSE_BYTES"
  | "LOOPSCOPE_PROMETHEUS_SCRAPE_INTERVAL"
  | "LOOPSCOPE_PROMETHEUS_CONTROLLER_LABELS"
  | "LOOPSCOPE_PROMETHEUS_DISCOVERY_INTERVAL"
>;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Set by the client itself, or by the auth settings. */
const RESERVED_HEADERS = new Set(["host", "content-length", "content-type", "transfer-encoding", "connection", "accept-encoding"]);

/**
 * LOOPSCOPE_PROMETHEUS_HEADERS: `Name=value,Name2=value2`. Problems name the header, never
 * its value (values are often API keys).
 */
export function parseHeaders(text: string | undefined, authKind: PrometheusAuth["kind"]): { headers: Record<string, string>; problems: string[] } {
  const headers: Record<string, string> = {};
  const problems: string[] = [];
  if (!text || text.trim() === "") return { headers, problems };
  text.split(",").forEach((item, index) => {
    const at = item.indexOf("=");
    const name = (at === -1 ? item : item.slice(0, at)).trim();
    const value = at === -1 ? "" : item.slice(at + 1).trim();
    const where = `LOOPSCOPE_PROMETHEUS_HEADERS item ${index + 1}`;
    if (at === -1 || !HEADER_NAME.test(name)) {
      problems.push(`${where} is invalid: expected Name=value (a header name of letters, digits and - , then =, then the value); values are not shown`);
      return;
    }
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) problems.push(`${where} (${name}) is invalid: this header is set by Loopscope itself`);
    else if (lower === "authorization" && authKind !== "none") problems.push(`${where} (${name}) is invalid: the bearer-token or basic-auth settings already set Authorization`);
    else if (/[\r\n\0]/.test(value) || value === "") problems.push(`${where} (${name}) is invalid: expected a non-empty value without line breaks (not shown)`);
    else if (Object.keys(headers).some((h) => h.toLowerCase() === lower)) problems.push(`${where} (${name}) is invalid: the header is given twice`);
    else headers[name] = value;
  });
  return { headers, problems };
}

function readableFile(variable: string, file: string | undefined, problems: string[]): void {
  if (file === undefined) return;
  try {
    fs.accessSync(file, fs.constants.R_OK);
    if (!fs.statSync(file).isFile()) problems.push(`${variable}=${JSON.stringify(file)} is invalid: expected a readable file, not a folder`);
  } catch {
    problems.push(`${variable}=${JSON.stringify(file)} is invalid: expected a readable file (it does not exist or cannot be read)`);
  }
}

/**
 * The Prometheus data source's settings, or undefined when LOOPSCOPE_PROMETHEUS_URL is not
 * set. Throws ConfigError listing every problem (file paths are named, secrets never).
 */
export function prometheusSettings(config: PrometheusConfig): PrometheusSettings | undefined {
  const problems: string[] = [];
  const url = config.LOOPSCOPE_PROMETHEUS_URL;
  const related = (
    [
      "LOOPSCOPE_PROMETHEUS_BEARER_TOKEN_FILE",
      "LOOPSCOPE_PROMETHEUS_BASIC_AUTH_USER",
      "LOOPSCOPE_PROMETHEUS_BASIC_AUTH_PASSWORD_FILE",
      "LOOPSCOPE_PROMETHEUS_HEADERS",
      "LOOPSCOPE_PROMETHEUS_CA_FILE",
    ] as const
  ).filter((name) => config[name] !== undefined && config[name] !== "");
  if (!url) {
    if (related.length > 0) throw new ConfigError([`${related.join(", ")} set without LOOPSCOPE_PROMETHEUS_URL: set the URL of the Prometheus-compatible API too, or unset them`]);
    return undefined;
  }
  const parsed = new URL(url);
  if (parsed.username || parsed.password) {
    // The URL is shown on the status page and in logs: credentials have their own settings.
    problems.push("LOOPSCOPE_PROMETHEUS_URL is invalid: it carries a user name or password; use LOOPSCOPE_PROMETHEUS_BASIC_AUTH_USER and LOOPSCOPE_PROMETHEUS_BASIC_AUTH_PASSWORD_FILE instead");
  }
  if (parsed.search || parsed.hash) problems.push(`LOOPSCOPE_PROMETHEUS_URL is invalid: expected no query string or fragment (the part before /api/v1, e.g. https://mimir.example/prometheus)`);
  if (/\/api\/v1\/?$/.test(parsed.pathname)) problems.push("LOOPSCOPE_PROMETHEUS_URL is invalid: give the part before /api/v1 (Loopscope adds /api/v1/query_range etc.)");

  const bearer = config.LOOPSCOPE_PROMETHEUS_BEARER_TOKEN_FILE;
  const user = config.LOOPSCOPE_PROMETHEUS_BASIC_AUTH_USER;
  const passwordFile = config.LOOPSCOPE_PROMETHEUS_BASIC_AUTH_PASSWORD_FILE;
  let auth: PrometheusAuth = { kind: "none" };
  if (bearer && (user || passwordFile)) problems.push("LOOPSCOPE_PROMETHEUS_BEARER_TOKEN_FILE and basic auth are both set: choose one");
  else if (bearer) auth = { kind: "bearer", tokenFile: bearer };
  else if (user && passwordFile) auth = { kind: "basic", user, passwordFile };
  else if (user || passwordFile) problems.push("basic auth needs both LOOPSCOPE_PROMETHEUS_BASIC_AUTH_USER and LOOPSCOPE_PROMETHEUS_BASIC_AUTH_PASSWORD_FILE");
  readableFile("LOOPSCOPE_PROMETHEUS_BEARER_TOKEN_FILE", bearer, problems);
  readableFile("LOOPSCOPE_PROMETHEUS_BASIC_AUTH_PASSWORD_FILE", passwordFile, problems);
  readableFile("LOOPSCOPE_PROMETHEUS_CA_FILE", config.LOOPSCOPE_PROMETHEUS_CA_FILE, problems);

  const { headers, problems: headerProblems } = parseHeaders(config.LOOPSCOPE_PROMETHEUS_HEADERS, auth.kind);
  problems.push(...headerProblems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    baseUrl: `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`,
    auth,
    headers,
    caFile: config.LOOPSCOPE_PROMETHEUS_CA_FILE,
    timeoutMs: config.LOOPSCOPE_PROMETHEUS_TIMEOUT,
    maxResponseBytes: config.LOOPSCOPE_PROMETHEUS_MAX_RESPONSE_BYTES,
    scrapeIntervalMs: config.LOOPSCOPE_PROMETHEUS_SCRAPE_INTERVAL,
    identityLabels: [...new Set(config.LOOPSCOPE_PROMETHEUS_CONTROLLER_LABELS.split(",").map((l) => l.trim()))],
    discoveryIntervalMs: config.LOOPSCOPE_PROMETHEUS_DISCOVERY_INTERVAL,
  };
}

/** The settings as the status API and logs show them. */
export function settingsView(settings: PrometheusSettings): PrometheusSettingsView {
  return { url: settings.baseUrl, auth: settings.auth.kind, headerNames: Object.keys(settings.headers), tls: settings.caFile ? "custom CA" : "system roots" };
}
