// Found by bench:reliability's attacker (issue 20): a client sending a body over the limit in one
// write (a 1,000 × 8,001-character batch, 8 MB against the 5 MiB limit) got no reply about one
// time in five, only EPIPE: the gateway answered 413 from the Content-Length, before reading the
// body, and closed the socket with the body's bytes unread, which resets the connection under the
// client's writes. Now a refused body's connection lingers after the reply (its FIN sent, what
// arrives discarded) for a bounded time, so that the client reads the 413.
import { request as httpRequest } from "node:http";
import { LINGER_MS } from "../../src/server/lingering-close.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeSpare, spawnGateway, sqliteBackend, type Backend, type Database, type GatewayProcess } from "../crash/harness.js";

// The gateway in a process of its own, as in production: in the test's process the client's
// writes and the server's close take turns on one event loop, and the race does not show.
let backend: Backend;
let db: Database;
let gw: GatewayProcess;
let key: string;
beforeAll(async () => {
  backend = sqliteBackend();
  db = await backend.fresh();
  const store = await db.open();
  key = (await store.apiKeys.create("attacker", "predict")).key;
  await store.close();
  gw = await spawnGateway(db.url);
}, 60_000);
afterAll(async () => {
  await gw.kill9();
  await disposeSpare();
  await backend.dispose();
});

/** One POST of the whole body on a connection of its own: its status, or the error that came instead. */
function postWhole(path: string, body: Buffer): Promise<string> {
  return new Promise((resolve) => {
    let answered = false;
    const req = httpRequest(gw.url + path, { method: "POST", agent: false, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" } }, (res) => {
      answered = true;
      res.resume();
      res.on("end", () => {
        resolve(String(res.statusCode));
        req.destroy();
      });
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (!answered) resolve(`no reply: ${err.code ?? err.message}`);
    });
    req.end(body);
  });
}

describe("a body refused before it is read", () => {
  it("answers 413 to every client that sends it whole, without a reset under its writes", async () => {
    const body = Buffer.from(JSON.stringify({ inputs: Array.from({ length: 1000 }, () => "y".repeat(8001)) }));
    const outcomes: string[] = [];
    for (let i = 0; i < 40; i++) outcomes.push(await postWhole("/v1/tasks/none/predict", body));
    expect(outcomes.filter((o) => o !== "413")).toEqual([]);
  });

  it("closes the lingering connection within LINGER_MS while the client keeps writing", async () => {
    const closedAfterReplyMs = await new Promise<number>((resolve, reject) => {
      let repliedAt = 0;
      const req = httpRequest(gw.url + "/v1/tasks/none/predict", { method: "POST", agent: false, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-length": 100_000_000 } }, (res) => {
        repliedAt = performance.now();
        expect(res.statusCode).toBe(413);
        res.resume();
      });
      const piece = Buffer.alloc(16 * 1024, "y");
      const trickle = setInterval(() => req.write(piece), 20);
      req.on("error", () => undefined);
      req.on("close", () => {
        clearInterval(trickle);
        if (repliedAt === 0) reject(new Error("closed before the reply"));
        else resolve(performance.now() - repliedAt);
      });
    });
    expect(closedAfterReplyMs).toBeLessThan(LINGER_MS + 1000);
  });
});
