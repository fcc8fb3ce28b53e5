// The attacker's HTTP client: one request, its body given whole or as pieces written only as fast
// as the socket drains, and given up as soon as the reply arrives (the gateway answers an oversized
// import before reading it all, then closes the connection, so a write after the reply may fail:
// that is expected and not an error).
import { request as httpRequest, type Agent, type OutgoingHttpHeaders } from "node:http";

export interface AttackRequest {
  method: "GET" | "POST";
  path: string;
  headers: OutgoingHttpHeaders;
  /** The body, whole or as pieces (a generator, so that a 64 MiB body is never held at once). */
  body?: Buffer | (() => Iterable<Buffer>);
  /** The local address to connect from (another loopback address is another client to the gateway). */
  localAddress?: string;
  /** A keep-alive agent; without one, the request has a connection of its own. */
  agent?: Agent;
}

export interface AttackReply {
  status: number;
  text: string;
}

const REPLY_TIMEOUT_MS = 60_000;

/** Sends the request; rejects only when no reply arrives (refused or cut connection, timeout). */
export function attackRequest(url: string, r: AttackRequest): Promise<AttackReply> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(url + r.path, { method: r.method, headers: r.headers, agent: r.agent ?? false, localAddress: r.localAddress }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
        // The body may be unsent: this connection is done either way.
        if (r.agent === undefined) req.destroy();
      });
      res.on("error", reject);
    });
    req.setTimeout(REPLY_TIMEOUT_MS, () => req.destroy(new Error(`no reply within ${REPLY_TIMEOUT_MS / 1000} s`)));
    req.on("error", (err) => {
      if (!answered) reject(err);
    });
    if (r.body === undefined || Buffer.isBuffer(r.body)) return void req.end(r.body);
    const pieces = r.body()[Symbol.iterator]();
    const write = () => {
      for (let next = pieces.next(); !answered && !req.destroyed; next = pieces.next()) {
        if (next.done === true) return void req.end();
        if (!req.write(next.value)) return void req.once("drain", write);
      }
    };
    write();
  });
}

/** The `error.code` of an error reply (the gateway's shape, and Fastify's own errors'), else null. */
export function errorCode(text: string): string | null {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown }; code?: unknown } | null;
    const code = body?.error?.code ?? body?.code;
    return typeof code === "string" ? code : null;
  } catch {
    return null;
  }
}
