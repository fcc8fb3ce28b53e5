/** A growable Int32 list reused across calls, so the hot paths allocate nothing once warmed up. */
export class IntBuffer {
  data: Int32Array;
  length = 0;

  constructor(capacity = 256) {
    this.data = new Int32Array(capacity);
  }

  /** Makes room for `extra` more entries beyond the current length. */
  reserve(extra: number): Int32Array {
    const need = this.length + extra;
    if (need > this.data.length) {
      const next = new Int32Array(Math.max(need, this.data.length * 2));
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    return this.data;
  }

  push(v: number): void {
    this.reserve(1)[this.length++] = v;
  }
}
