import snappy from "snappyjs";
import { type DecodedWriteRequest, decodeWriteRequest, MalformedWriteRequestError } from "./write-request";

/** Largest uncompressed WriteRequest accepted (the compressed body is bounded by LOOPSCOPE_MAX_BODY_BYTES). */
export const MAX_DECODED_BYTES = 32 * 1_048_576;

/** Why a remote-write request is refused before any sample is looked at: the HTTP status and one sentence. */
export interface BodyRefusal {
  status: 400 | 415;
  message: string;
}

export interface WriteHeaders {
  contentType: string | null;
  contentEncoding: string | null;
  version: string | null;
}

/**
 * Checks the headers remote-write 1.0 requires (`Content-Encoding: snappy`,
 * `Content-Type: application/x-protobuf`, `X-Prometheus-Remote-Write-Version: 0.1.x`);
 * a missing version header is accepted (older agents omit it). Remote-write 2.0
 * (`proto=io.prometheus.write.v2.Request`) is refused with 415, as its spec asks of a
 * receiver that does not speak it, so the sender can fall back to 1.0.
 */
export function headerRefusal(headers: WriteHeaders): BodyRefusal | undefined {
  const type = (headers.contentType ?? "").toLowerCase();
  const [mediaType, ...params] = type.split(";").map((p) => p.trim());
  if (mediaType !== "application/x-protobuf") {
    return { status: 415, message: `Content-Type must be application/x-protobuf (remote-write 1.0), got ${JSON.stringify(headers.contentType ?? "")}.` };
  }
  const proto = params.find((p) => p.startsWith("proto="))?.slice("proto=".length);
  if (proto !== undefined && proto !== "prometheus.writerequest") {
    return { status: 415, message: `Only remote-write 1.0 (prometheus.WriteRequest) is accepted, not ${proto}: set protobuf_message: prometheus.WriteRequest.` };
  }
  if ((headers.contentEncoding ?? "").toLowerCase() !== "snappy") {
    return { status: 415, message: `Content-Encoding must be snappy (block format), got ${JSON.stringify(headers.contentEncoding ?? "")}.` };
  }
  if (headers.version !== null && !/^0\.1(\.\d+)?$/.test(headers.version.trim())) {
    return { status: 415, message: `X-Prometheus-Remote-Write-Version ${JSON.stringify(headers.version)} is not supported; this receiver speaks 0.1.0.` };
  }
  return undefined;
}

/** Uncompresses (snappy block format) and decodes a remote-write body; a refusal when it is not one. */
export function decodeWriteBody(body: Uint8Array): { request: DecodedWriteRequest } | { refusal: BodyRefusal } {
  let raw: Uint8Array;
  try {
    raw = snappy.uncompress(body, MAX_DECODED_BYTES);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { refusal: { status: 400, message: `The body is not snappy-compressed (block format): ${why}.` } };
  }
  try {
    return { request: decodeWriteRequest(raw) };
  } catch (error) {
    if (error instanceof MalformedWriteRequestError) return { refusal: { status: 400, message: `${error.message}.` } };
    throw error;
  }
}

/** Compresses an encoded WriteRequest as a sender does (snappy block format). */
export function compressWriteBody(encoded: Uint8Array): Uint8Array {
  return snappy.compress(encoded);
}
