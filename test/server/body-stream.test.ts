import { EventEmitter } from "node:events";
import type { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readBodyText } from "../../src/server/http/body-stream.js";
import { HttpError } from "../../src/server/http/errors.js";

/** A body source that emits its chunks and its end at once, whatever pause() asked: the order a loaded socket can give. */
function eagerSource(chunks: Buffer[]): Readable {
  const source = new EventEmitter() as EventEmitter & { pause(): void; resume(): void };
  source.pause = () => {};
  source.resume = () => {};
  setImmediate(() => {
    for (const chunk of chunks) source.emit("data", chunk);
    source.emit("end");
  });
  return source as unknown as Readable;
}

const tooLarge = (size: string) => new HttpError(413, `the body ${size}`, "invalid_request_error", "body_too_large");

describe("readBodyText", () => {
  it("hands every chunk on in order before the end, even when the end comes while chunks wait", async () => {
    // Enough text that the chunks outlast one slice of the event loop.
    const chunks = Array.from({ length: 400 }, (_, i) => Buffer.from(`${i}:${"x".repeat(20_000)};`));
    let text = "";
    let pieces = 0;
    await readBodyText(eagerSource(chunks), {
      contentLength: undefined,
      limit: 1e9,
      tooLarge,
      push: (piece) => {
        // Burn a little of the slice per chunk, as parsing does.
        const until = performance.now() + 0.05;
        while (performance.now() < until);
        text += piece;
        pieces++;
      },
    });
    expect(text).toBe(Buffer.concat(chunks).toString());
    expect(pieces).toBe(chunks.length + 1);
  });

  it("refuses by declared length before reading, and by bytes received while reading", async () => {
    const push = () => {};
    await expect(readBodyText(eagerSource([]), { contentLength: "2000", limit: 1000, tooLarge, push })).rejects.toThrow("the body declares 2000 bytes");
    await expect(readBodyText(eagerSource([Buffer.alloc(600), Buffer.alloc(600)]), { contentLength: undefined, limit: 1000, tooLarge, push })).rejects.toThrow("the body has at least 1200 bytes");
  });

  it("reads a small body with a declared length whole, in one piece, a character cut between chunks included", async () => {
    const body = Buffer.from('{"input": "Überweisung 😀"}');
    const chunks = [body.subarray(0, 13), body.subarray(13, 25), body.subarray(25)];
    const pieces: string[] = [];
    await readBodyText(eagerSource(chunks), { contentLength: String(body.length), limit: 1000, tooLarge, push: (t) => pieces.push(t) });
    expect(pieces).toEqual([body.toString()]);
    const notUtf8 = (bytes: number) => new HttpError(400, `not UTF-8 within ${bytes} bytes`, "invalid_request_error", "bad_request");
    await expect(readBodyText(eagerSource([Buffer.from([0x61, 0xff])]), { contentLength: "2", limit: 1000, tooLarge, notUtf8, push: () => {} })).rejects.toThrow("not UTF-8 within 2 bytes");
  });

  it("refuses bytes that are not UTF-8 when asked to, and replaces them otherwise", async () => {
    const bad = [Buffer.from([0x61, 0xff, 0x62])];
    const notUtf8 = (bytes: number) => new HttpError(400, `not UTF-8 within ${bytes} bytes`, "invalid_request_error", "bad_request");
    await expect(readBodyText(eagerSource(bad), { contentLength: undefined, limit: 1000, tooLarge, notUtf8, push: () => {} })).rejects.toThrow("not UTF-8 within 3 bytes");
    let text = "";
    await readBodyText(eagerSource(bad), { contentLength: undefined, limit: 1000, tooLarge, push: (t) => (text += t) });
    expect(text).toBe("a\uFFFDb");
  });
});
