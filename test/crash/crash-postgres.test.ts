// kill -9 crash safety on PostgreSQL (see crash-suite.ts), each test in a fresh schema, plus a
// PostgreSQL restart under a running gateway. Needs APPRENTICE_TEST_PG_URL (eval "$(.ci/postgres.sh)");
// skipped without it. The restart needs root and pg_ctlcluster (Debian's postgresql-common) and a
// server on this machine; it is skipped, with the reason, otherwise.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { GOLD } from "../server/helpers.js";
import { PG_URL_VARIABLE } from "../store/targets.js";
import { crashSeed, crashSuite, csvOf, expectStored, predictStream, setup, TASK, withStore } from "./crash-suite.js";
import { call, disposeSpare, postgresBackend, spawnGateway, type GatewayProcess } from "./harness.js";
import { taggedTexts } from "./topics.js";

const url = process.env[PG_URL_VARIABLE];
const run = promisify(execFile);
afterAll(disposeSpare);

/** The local cluster (version, name) serving `url`, or why the restart cannot be done here. */
function localCluster(pgUrl: string): { version: string; name: string } | string {
  const { hostname, port } = new URL(pgUrl);
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(hostname)) return `the server (${hostname}) is not on this machine`;
  if (process.getuid?.() !== 0) return "restarting PostgreSQL needs root";
  let listing: string;
  try {
    listing = execFileSync("pg_lsclusters", ["--no-header"], { encoding: "utf8" });
  } catch {
    return "pg_lsclusters (postgresql-common) is not available";
  }
  const wanted = port === "" ? "5432" : port;
  for (const line of listing.split("\n")) {
    const [version, name, clusterPort, status] = line.trim().split(/\s+/);
    if (clusterPort === wanted && status === "online") return { version, name };
  }
  return `no online cluster on port ${wanted} in pg_lsclusters`;
}

if (url === undefined || url === "") {
  describe.skip(`kill -9 on PostgreSQL (set ${PG_URL_VARIABLE}, e.g. eval "$(.ci/postgres.sh)")`, () => {
    it("is skipped", () => undefined);
  });
} else {
  const seed = crashSeed();
  console.log(`crash tests on PostgreSQL: seed ${seed} (CRASH_SEED=${seed} replays the kill points)`);
  crashSuite(postgresBackend(url), seed);

  describe("a PostgreSQL restart under a running gateway", () => {
    const cluster = localCluster(url);
    const backend = postgresBackend(url);
    let gw: GatewayProcess | undefined;
    afterAll(async () => {
      await gw?.kill9();
      await backend.dispose();
    });
    if (typeof cluster === "string") {
      console.log(`skipping the PostgreSQL restart: ${cluster}`);
      it.skip(`recovers after the server restarts (${cluster})`, () => undefined);
      return;
    }

    /** A call that must reach the gateway: if it went down, say so with its stderr. */
    const alive = <T>(request: Promise<T>): Promise<T> =>
      request.catch((err: unknown) => {
        throw new Error(`the gateway went down with the database (${String(err)}); its stderr:\n${gw?.stderr() ?? ""}`);
      });

    it("answers readyz 503 while the server is down, 200 after, and serves requests again", async () => {
      const db = await backend.fresh();
      try {
        const key = await setup(db);
        gw = await spawnGateway(db.url);
        const imported = GOLD.slice(0, 300);
        expect((await call(gw.url, key, "POST", `/v1/tasks/${TASK}/examples`, csvOf(imported), "text/csv")).status).toBe(200);
        const before = predictStream(gw.url, key, taggedTexts(20, "before-restart"), 1);
        await before.until(20);
        expect((await call(gw.url, key, "GET", "/readyz")).status).toBe(200);

        // Stop then start (a restart with an observable gap); always started again.
        await run("pg_ctlcluster", [cluster.version, cluster.name, "stop", "-m", "fast"]);
        let down: number[];
        try {
          down = [];
          for (let i = 0; i < 20 && !down.includes(503); i++) down.push((await alive(call(gw.url, key, "GET", "/readyz"))).status);
          // A request that needs the database fails cleanly (no hang, no crash) while it is down.
          const during = await alive(call(gw.url, key, "POST", `/v1/tasks/${TASK}/predict`, { input: "any news on the storm during the outage", route: "teacher" }));
          expect(during.status).toBeGreaterThanOrEqual(500);
        } finally {
          await run("pg_ctlcluster", [cluster.version, cluster.name, "start"]);
        }
        expect(down).toContain(503);

        // Back: readyz turns 200 (bounded polling), then predictions and imports succeed.
        let ready = 0;
        for (let i = 0; i < 100 && ready !== 200; i++) {
          ready = (await call(gw.url, key, "GET", "/readyz")).status;
          if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        expect(ready).toBe(200);
        const after = predictStream(gw.url, key, taggedTexts(20, "after-restart"), 2);
        await after.until(20);
        expect(after.failures).toEqual([]);
        const more = taggedTexts(50, "import-after-restart");
        const imported2 = await call(gw.url, key, "POST", `/v1/tasks/${TASK}/examples`, csvOf(more), "text/csv");
        expect(imported2.status).toBe(200);
        expect(imported2.body.added).toBe(50);
        await withStore(db, (store) => expectStored(store, [...imported, ...before.acked, ...after.acked, ...more]));
      } finally {
        await gw?.kill9();
        await db.cleanup();
      }
    });
  });
}
