import { HttpMethod, type KubeConfig, RequestContext } from "@kubernetes/client-node";
import { fetch } from "undici";
import { z } from "zod";
import { isKubeObject, type KubeObject } from "./object-store";

/**
 * One consistent list of a collection, fetched in pages of `pageSize` (kube-rs's
 * watcher default is 500) so a large cluster never answers one huge response. Objects
 * come back as plain JSON, the same shape the watch stream delivers, so the cache never
 * mixes typed (Date-valued) and raw objects.
 */
export interface ObjectList {
  metadata: { resourceVersion: string };
  items: KubeObject[];
}

export interface ListOptions {
  pageSize?: number;
  signal?: AbortSignal;
}

const listResponse = z.object({
  metadata: z.object({ resourceVersion: z.string().optional(), continue: z.string().optional() }).optional(),
  items: z.array(z.unknown()).nullish(),
});

const statusResponse = z.object({ message: z.string().optional(), reason: z.string().optional() });

/** An API request that was answered with an error status (the shape client-node's errors have). */
export class ApiRequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiRequestError";
  }
}

function describeFailure(path: string, status: number, body: string): ApiRequestError {
  let detail = body.slice(0, 300);
  try {
    const parsed = statusResponse.safeParse(JSON.parse(body));
    if (parsed.success && parsed.data.message) detail = parsed.data.message;
  } catch {
    // not JSON: keep the raw text
  }
  const hint = status === 401 || status === 403 ? " (check the credentials and that RBAC allows list and watch on this resource)" : "";
  return new ApiRequestError(status, `list ${path} failed with HTTP ${status}: ${detail}${hint}`);
}

/** Lists every object of a collection path, following `continue` tokens. Read-only (GET). */
export async function listObjects(kubeConfig: KubeConfig, path: string, options: ListOptions = {}): Promise<ObjectList> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("The kubeconfig has no current cluster to list from.");
  const items: KubeObject[] = [];
  let resourceVersion = "";
  let token: string | undefined;
  do {
    const url = new URL(cluster.server.replace(/\/+$/, "") + path);
    if (options.pageSize && options.pageSize > 0) url.searchParams.set("limit", String(options.pageSize));
    if (token) url.searchParams.set("continue", token);
    const context = new RequestContext(url.toString(), HttpMethod.GET);
    await kubeConfig.applySecurityAuthentication(context);
    const response = await fetch(url, {
      method: "GET",
      headers: context.getHeaders(),
      dispatcher: context.getDispatcher(),
      signal: options.signal,
    });
    const text = await response.text();
    if (response.status !== 200) throw describeFailure(path, response.status, text);
    const page = listResponse.parse(JSON.parse(text));
    for (const item of page.items ?? []) {
      if (isKubeObject(item)) items.push(item);
    }
    // Every page of one list carries the snapshot's resourceVersion; keep the first.
    if (resourceVersion === "") resourceVersion = page.metadata?.resourceVersion ?? "";
    token = page.metadata?.continue || undefined;
  } while (token);
  return { metadata: { resourceVersion }, items };
}
