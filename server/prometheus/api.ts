import { z } from "zod";
import { PrometheusRequestError, type PrometheusTransport, statusText } from "./http-client";

/**
 * A client of Prometheus's HTTP API (the subset Thanos, Mimir and VictoriaMetrics serve
 * too): query_range, query, series, labels and label values. Every answer is validated
 * before use; a refusal carries Prometheus's own errorType and message.
 */

const labelsSchema = z.record(z.string(), z.string());
/** [unix seconds, "value"]; values are strings so NaN and ±Inf survive JSON. */
const samplePairSchema = z.tuple([z.number(), z.string()]);

const matrixSchema = z.object({
  resultType: z.literal("matrix"),
  // Native histograms come as `histograms`; they have no float value to chart and are skipped.
  result: z.array(z.object({ metric: labelsSchema, values: z.array(samplePairSchema).optional() })),
});
const vectorSchema = z.object({
  resultType: z.literal("vector"),
  result: z.array(z.object({ metric: labelsSchema, value: samplePairSchema.optional() })),
});
const scalarSchema = z.object({ resultType: z.literal("scalar"), result: samplePairSchema });
const stringSchema = z.object({ resultType: z.literal("string"), result: z.tuple([z.number(), z.string()]) });
const querySchema = z.discriminatedUnion("resultType", [matrixSchema, vectorSchema, scalarSchema, stringSchema]);

const envelopeSchema = z.union([
  z.object({ status: z.literal("success"), data: z.unknown(), warnings: z.array(z.string()).optional(), infos: z.array(z.string()).optional() }),
  z.object({ status: z.literal("error"), errorType: z.string().optional(), error: z.string().optional() }),
]);

export type PromLabels = z.infer<typeof labelsSchema>;
export type PromMatrix = z.infer<typeof matrixSchema>["result"];
export type PromQueryData = z.infer<typeof querySchema>;

/** A Prometheus sample value ("1.5", "NaN", "+Inf", "-Inf") as a number. */
export function parseSampleValue(text: string): number {
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Epoch ms as the API's unix seconds with millisecond precision. */
export function unixSeconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

const MAX_ERROR_TEXT = 500;

export interface PrometheusApiOptions {
  /** Sent as the API's `timeout` parameter (evaluation timeout on the server). */
  timeoutMs: number;
}

export class PrometheusApi {
  constructor(
    private readonly transport: PrometheusTransport,
    private readonly options: PrometheusApiOptions,
  ) {}

  /** `/api/v1/query_range`: `query` evaluated at start, start + step, … ≤ end (epoch ms). */
  async queryRange(query: string, start: number, end: number, stepMs: number, signal?: AbortSignal): Promise<PromMatrix> {
    const params = new URLSearchParams({ query, start: unixSeconds(start), end: unixSeconds(end), step: (stepMs / 1000).toString(), timeout: this.timeoutParam() });
    const data = await this.call("POST", "/api/v1/query_range", params, matrixSchema, signal);
    return data.result;
  }

  /** `/api/v1/query` at `time` (epoch ms). */
  async query(query: string, time: number, signal?: AbortSignal): Promise<PromQueryData> {
    const params = new URLSearchParams({ query, time: unixSeconds(time), timeout: this.timeoutParam() });
    return this.call("POST", "/api/v1/query", params, querySchema, signal);
  }

  /** `/api/v1/series`: the label sets of the series matching any of `match` within [start, end]. */
  async series(match: readonly string[], start: number, end: number, options: { limit?: number; signal?: AbortSignal } = {}): Promise<PromLabels[]> {
    const params = new URLSearchParams({ start: unixSeconds(start), end: unixSeconds(end) });
    for (const m of match) params.append("match[]", m);
    // Prometheus ≥ 2.50 and Mimir honour `limit`; older servers ignore it (the size bound still holds).
    if (options.limit !== undefined) params.set("limit", String(options.limit));
    return this.call("POST", "/api/v1/series", params, z.array(labelsSchema), options.signal);
  }

  /** `/api/v1/labels`: label names (of the series matching `match`, when given). */
  async labels(options: { match?: readonly string[]; start?: number; end?: number; signal?: AbortSignal } = {}): Promise<string[]> {
    return this.call("POST", "/api/v1/labels", this.rangeParams(options), z.array(z.string()), options.signal);
  }

  /** `/api/v1/label/<name>/values`. */
  async labelValues(name: string, options: { match?: readonly string[]; start?: number; end?: number; signal?: AbortSignal } = {}): Promise<string[]> {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw new PrometheusRequestError(`${JSON.stringify(name.slice(0, 100))} is not a label name`);
    return this.call("GET", `/api/v1/label/${name}/values`, this.rangeParams(options), z.array(z.string()), options.signal);
  }

  private timeoutParam(): string {
    return `${Math.max(1, Math.floor(this.options.timeoutMs / 1000))}s`;
  }

  private rangeParams(options: { match?: readonly string[]; start?: number; end?: number }): URLSearchParams {
    const params = new URLSearchParams();
    for (const m of options.match ?? []) params.append("match[]", m);
    if (options.start !== undefined) params.set("start", unixSeconds(options.start));
    if (options.end !== undefined) params.set("end", unixSeconds(options.end));
    return params;
  }

  private async call<T>(method: "GET" | "POST", path: string, params: URLSearchParams, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    const answer = await this.transport.send(method, path, params, signal);
    let json: unknown;
    try {
      json = JSON.parse(answer.body.toString("utf8"));
    } catch {
      if (answer.status < 200 || answer.status > 299) throw new PrometheusRequestError(`Prometheus answered ${path} with ${statusText(answer.status)}`, answer.status);
      throw new PrometheusRequestError(`Prometheus answered ${path} with something that is not JSON: is LOOPSCOPE_PROMETHEUS_URL the API's base URL (the part before /api/v1)?`, answer.status);
    }
    const envelope = envelopeSchema.safeParse(json);
    if (!envelope.success) {
      throw new PrometheusRequestError(`Prometheus answered ${path} with ${statusText(answer.status)} and a body that is not the Prometheus API's (no "status" field)`, answer.status);
    }
    if (envelope.data.status === "error") {
      const { errorType, error } = envelope.data;
      throw new PrometheusRequestError(
        `Prometheus refused ${path} (${statusText(answer.status)}${errorType ? `, ${errorType}` : ""}): ${(error ?? "no message").slice(0, MAX_ERROR_TEXT)}`,
        answer.status,
        errorType,
      );
    }
    const data = schema.safeParse(envelope.data.data);
    if (!data.success) {
      const issue = data.error.issues[0];
      throw new PrometheusRequestError(`Prometheus's answer to ${path} has an unexpected shape at ${issue?.path.join(".") || "data"}: ${issue?.message ?? "invalid"}`, answer.status);
    }
    return data.data;
  }
}
