// A request refused before its body was read (Fastify's 413 from a Content-Length over the body
// limit, an import refused mid-stream) is answered with `Connection: close`, and Node then closes
// the socket as soon as the reply is written. The body's unread bytes make the kernel reset the
// connection, and a client still writing its body gets EPIPE or ECONNRESET instead of the reply
// (about one such request in five in bench:reliability's attacker). Lingering close, as nginx and
// Apache do it: the reply and the FIN are sent, what the client still sends is read and dropped,
// and the socket closes when the client closes its side, or after LINGER_MS at most, so a client
// cannot hold it longer by writing on.
//
// Called from the error handler, which every such refusal passes through: no hook runs for the
// requests that are answered normally.
import type { Socket } from "node:net";
import type { FastifyReply, FastifyRequest } from "fastify";

export const LINGER_MS = 2000;

/** Makes the socket of an error reply that closes its connection over an unread body linger. */
export function lingerIfBodyUnread(request: FastifyRequest, reply: FastifyReply): void {
  if (!request.raw.complete && reply.getHeader("connection") === "close") lingerOnClose(request.raw.socket);
}

function lingerOnClose(socket: Socket): void {
  // Node's HTTP server ends a `Connection: close` reply's socket with destroySoon() once the reply
  // is written (`resOnFinish` in _http_server.js); this socket's own replaces it.
  socket.destroySoon = function lingeringDestroySoon(this: Socket) {
    this.end();
    this.resume();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once("close", () => clearTimeout(timer));
  };
}
