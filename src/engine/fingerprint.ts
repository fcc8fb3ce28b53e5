// A 64-bit fingerprint of the training data, stored in the model header so a model can be traced
// back to the exact examples it learned from. Not cryptographic: it detects change, not tampering.
import { fmix32, step } from "./hash.js";

export class Fingerprint {
  private a = 0x811c9dc5;
  private b = 0x3c6ef372;

  add(s: string): this {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = step(a, c);
      b = Math.imul(b ^ c, 0x5bd1e995) + 0x9e3779b9;
    }
    // A separator, so ["ab","c"] and ["a","bc"] differ.
    this.a = fmix32(a ^ s.length);
    this.b = fmix32(b + s.length);
    return this;
  }

  hex(): string {
    return (this.a >>> 0).toString(16).padStart(8, "0") + (this.b >>> 0).toString(16).padStart(8, "0");
  }
}
