import { Writable } from "node:stream";
import Fastify, { type FastifyBaseLogger } from "fastify";
import { describe, expect, it, vi } from "vitest";
import { lazyChildLoggerFactory } from "../../src/server/lazy-child-logger.js";

function fakeParent() {
  const child = { level: "info", info: vi.fn(), error: vi.fn(), warn: vi.fn(), debug: vi.fn(), trace: vi.fn(), fatal: vi.fn(), silent: vi.fn(), child: vi.fn() };
  const parent = { ...child, level: "warn", child: vi.fn(() => child) };
  return { parent: parent as unknown as FastifyBaseLogger, makeChild: parent.child, child };
}

const factory = (parent: FastifyBaseLogger) => lazyChildLoggerFactory.call(Fastify(), parent, { reqId: "r1" }, {}, {} as never);

describe("lazyChildLoggerFactory", () => {
  it("makes the real child only when the request logs, once", () => {
    const { parent, makeChild, child } = fakeParent();
    const log = factory(parent);
    expect(log.level).toBe("warn");
    expect(makeChild).not.toHaveBeenCalled();
    log.error({ err: new Error("x") }, "failed");
    log.info("then this");
    expect(makeChild).toHaveBeenCalledTimes(1);
    expect(makeChild).toHaveBeenCalledWith({ reqId: "r1" }, {});
    expect(child.error).toHaveBeenCalledWith({ err: expect.any(Error) }, "failed");
    expect(child.info).toHaveBeenCalledWith("then this");
    expect(log.level).toBe("info");
  });

  it("logs a request's lines with its request id through Fastify and pino", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = Fastify({ logger: { level: "info", stream }, childLoggerFactory: lazyChildLoggerFactory, genReqId: () => "request-7", disableRequestLogging: true });
    app.get("/quiet", async () => ({ ok: true }));
    app.get("/talks", async (request) => {
      request.log.info({ step: 1 }, "working");
      return { ok: true };
    });
    await app.inject({ method: "GET", url: "/quiet" });
    expect(lines).toEqual([]);
    await app.inject({ method: "GET", url: "/talks" });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ reqId: "request-7", step: 1, msg: "working", level: 30 });
    await app.close();
  });
});
