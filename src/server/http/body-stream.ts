// Request bodies read as they arrive, for the routes whose bodies may be large (imports, predict
// batches): the byte limit is enforced against Content-Length before reading and against the
// bytes received while reading, and each chunk's text is handed on in a slice of the shared
// event loop (event-loop-share.ts), the socket paused meanwhile; a small body with a declared
// length is read whole instead. A refusal leaves the rest of the body unread (lingering-close.ts
// answers it).
import type { Readable } from "node:stream";
import type { FastifyRequest } from "fastify";
import { JsonObjectError, JsonObjectStream } from "../../data/json-object-stream.js";
import { badRequest, HttpError } from "./errors.js";
import { sliceWait } from "./event-loop-share.js";

export interface BodyStreamOptions {
  contentLength: string | undefined;
  limit: number;
  /** The 413 for a body over the limit; `size` says how it was found: "declares N bytes", "has at least N bytes". */
  tooLarge(size: string): HttpError;
  /** The 400 for bytes that are not UTF-8, within the first `bytes`; without it, they become U+FFFD. */
  notUtf8?(bytes: number): HttpError;
  /** Takes each piece of text, the last one at the body's end; may throw to refuse the body. */
  push(text: string): void;
}

/**
 * Bodies that declare at most this many bytes are read whole and pushed in one piece: far less
 * than a slice of work, and pausing the socket and taking turns per chunk cost a single-input
 * predict about 10% of its CPU.
 */
const WHOLE_BODY_BYTES = 64 * 1024;

export async function readBodyText(payload: Readable, options: BodyStreamOptions): Promise<void> {
  const { contentLength, limit, tooLarge, notUtf8, push } = options;
  const declared = Number(contentLength);
  if (declared > limit) throw tooLarge(`declares ${contentLength} bytes`);
  const decoder = new TextDecoder("utf-8", { fatal: notUtf8 !== undefined });
  let bytes = 0;
  const decode = (chunk: Buffer | undefined): string => {
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch {
      throw notUtf8!(bytes);
    }
  };
  if (declared <= WHOLE_BODY_BYTES) {
    // The HTTP parser delivers exactly the declared bytes, so the limit holds without counting.
    const body = await readWhole(payload);
    bytes = body.length;
    push(decode(body) + decode(undefined));
    return;
  }
  await new Promise<void>((resolve, reject) => {
    let stopped = false;
    const stop = (err?: unknown) => {
      stopped = true;
      payload.off("data", onData);
      payload.off("end", onEnd);
      payload.off("error", stop);
      // Flowing with no listener: what the client still sends is read and dropped, as before the
      // pause, and the refusal's lingering close sees the client's end.
      payload.resume();
      if (err === undefined) resolve();
      else reject(err instanceof HttpError ? err : badRequest(`the body could not be read: ${err instanceof Error ? err.message : String(err)}`));
    };
    const take = async (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) throw tooLarge(`has at least ${bytes} bytes`);
      for (let wait = sliceWait(); wait !== null; wait = sliceWait()) await wait;
      push(decode(chunk));
    };
    // Chunks are taken in order, one at a time, the stream paused meanwhile; 'end' may come while
    // the last chunk still waits for its turn, so the end is taken after it.
    let taking: Promise<void> = Promise.resolve();
    const onData = (chunk: Buffer) => {
      payload.pause();
      taking = taking.then(() => take(chunk)).then(() => {
        if (!stopped) payload.resume();
      });
      taking.catch(stop);
    };
    const onEnd = () => {
      taking = taking.then(() => {
        push(decode(undefined));
        stop();
      });
      taking.catch(stop);
    };
    payload.on("data", onData);
    payload.on("end", onEnd);
    payload.on("error", stop);
  });
}

/** A small body with a declared length, whole. */
function readWhole(payload: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    payload.on("data", (chunk: Buffer) => chunks.push(chunk));
    payload.once("end", () => resolve(Buffer.concat(chunks)));
    payload.once("error", (err) => reject(badRequest(`the body could not be read: ${err.message}`)));
  });
}

/**
 * A JSON object body parsed as it arrives (json-object-stream.ts), for the routes whose bodies are
 * big arrays: parsed in one go, a 5 MB predict batch held the event loop for tens of milliseconds.
 * Errors as Fastify's own parser gives them: 413 naming the route's limit, 400 naming the position.
 */
export async function readJsonObjectBody(request: FastifyRequest, payload: Readable): Promise<Record<string, unknown>> {
  const limit = request.routeOptions.bodyLimit;
  const json = new JsonObjectStream();
  const parsing = <T>(step: () => T): T => {
    try {
      return step();
    } catch (err) {
      throw err instanceof JsonObjectError ? badRequest(`the body is not valid JSON: ${err.message}`) : err;
    }
  };
  await readBodyText(payload, {
    contentLength: request.headers["content-length"],
    limit,
    tooLarge: (size) => new HttpError(413, `the body ${size}: the limit is ${limit} bytes; split the request`, "invalid_request_error", "body_too_large"),
    push: (text) => parsing(() => json.push(text)),
  });
  return parsing(() => json.end());
}
