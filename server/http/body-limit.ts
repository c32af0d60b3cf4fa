/**
 * Request body limits, decided from the headers before anything is read: a body must declare
 * its Content-Length (no chunked uploads) and stay within `maxBytes`. Returns the refusal
 * (status and message) or null.
 */
export function bodyProblem(method: string | undefined, contentLength: string | undefined, transferEncoding: string | undefined, maxBytes: number): { status: 411 | 413 | 400; message: string } | null {
  const m = (method ?? "GET").toUpperCase();
  if (m === "GET" || m === "HEAD" || m === "OPTIONS") {
    if (transferEncoding !== undefined || (contentLength !== undefined && contentLength !== "0")) return { status: 400, message: `A ${m} request may not have a body.` };
    return null;
  }
  if (contentLength === undefined) {
    if (transferEncoding !== undefined) return { status: 411, message: "Request bodies must declare their Content-Length." };
    return null;
  }
  if (!/^\d+$/.test(contentLength)) return { status: 400, message: "Invalid Content-Length." };
  if (Number(contentLength) > maxBytes) return { status: 413, message: `Request body too large: at most ${maxBytes} bytes.` };
  return null;
}
