// What the single-label and the multi-label classifier share: label names, the featurizer, a
// linear model over its features with one class per label, and scoring a text into one logit per
// label. They differ in what they make of the logits (a softmax, or a sigmoid per label).
import type { Featurizer } from "./featurizer.js";
import type { LinearModel } from "./linear-model.js";

export abstract class LinearTextModel<Header extends { labels: string[] }> {
  /** The logits of the text scored last, in labels order. */
  protected readonly z: Float64Array;

  constructor(
    readonly header: Header,
    readonly featurizer: Featurizer,
    readonly linear: LinearModel,
  ) {
    if (header.labels.length !== linear.classCount) throw new Error("label count does not match the model's classes");
    if (featurizer.featureCount !== linear.featureCount) throw new Error("feature count does not match the model's weights");
    this.z = new Float64Array(linear.classCount);
  }

  get labels(): readonly string[] {
    return this.header.labels;
  }

  /** Featurises the text and fills `z` with its logits. */
  protected scoreLogits(text: string): void {
    const n = this.featurizer.encode(text);
    this.linear.logits(this.featurizer.lastIndices, this.featurizer.lastValues, n, this.z);
  }
}
