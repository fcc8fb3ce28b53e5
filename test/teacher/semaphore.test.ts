import { describe, expect, it } from "vitest";
import { Semaphore } from "../../src/teacher/semaphore.js";

describe("Semaphore", () => {
  it("grants up to the limit, then hands permits over in FIFO order", async () => {
    const s = new Semaphore(2);
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    const order: number[] = [];
    const p3 = s.acquire().then((r) => (order.push(3), r));
    const p4 = s.acquire().then((r) => (order.push(4), r));
    expect([s.inUse, s.waiting]).toEqual([2, 2]);
    r1();
    r1(); // a second release of the same permit is ignored
    const r3 = await p3;
    expect([s.inUse, s.waiting]).toEqual([2, 1]);
    r2();
    const r4 = await p4;
    expect(order).toEqual([3, 4]);
    r3();
    r4();
    expect([s.inUse, s.waiting]).toEqual([0, 0]);
  });

  it("keeps the count under load", async () => {
    const s = new Semaphore(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        s.run(async () => {
          active++;
          peak = Math.max(peak, active);
          for (let k = 0; k < i % 4; k++) await Promise.resolve();
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(s.inUse).toBe(0);
  });

  it("releases the permit when the task throws", async () => {
    const s = new Semaphore(1);
    await expect(s.run(async () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(s.inUse).toBe(0);
  });

  it("drops a waiter whose signal aborts", async () => {
    const s = new Semaphore(1);
    const release = await s.acquire();
    const controller = new AbortController();
    const waiting = s.acquire(controller.signal);
    controller.abort(new Error("gone"));
    await expect(waiting).rejects.toThrow("gone");
    expect(s.waiting).toBe(0);
    release();
    expect(s.inUse).toBe(0);
    await expect(s.acquire(controller.signal)).rejects.toThrow("gone");
  });

  it("rejects a limit below one", () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
