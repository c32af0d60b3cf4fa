import { z } from "zod";

/**
 * What a server-rendered page needs to know about the request (the authentication mode
 * and who is signed in), handed from the custom server to Next's page bundles on the
 * request itself: the request gate (server/http/request-gate.ts) removes any such header
 * a client sent and sets it after authenticating. Pages read it with `readPageContext`;
 * they never reach for a process-wide registry (Next loads its own copies of modules).
 */
export const PAGE_CONTEXT_HEADER = "x-loopscope-page-context";

const pageContextSchema = z.object({
  authMode: z.enum(["none", "password", "proxy"]),
  principal: z.object({ name: z.string().max(256), role: z.enum(["viewer", "editor"]), via: z.enum(["local", "session", "token", "proxy"]) }).nullable(),
});

export type PageContext = z.infer<typeof pageContextSchema>;

export function encodePageContext(context: PageContext): string {
  return Buffer.from(JSON.stringify(context), "utf8").toString("base64url");
}

/** The page context of a request; without a valid one (not served through the gate) nobody is signed in and the mode is unknown. */
export function readPageContext(headers: { get(name: string): string | null }): PageContext | undefined {
  const raw = headers.get(PAGE_CONTEXT_HEADER);
  if (!raw) return undefined;
  try {
    const parsed = pageContextSchema.safeParse(JSON.parse(Buffer.from(raw, "base64url").toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
