// Training progress on stderr, only when stderr is a terminal: featurizing, then epochs. Piped
// or redirected output (CI logs, tests) gets nothing, so it stays clean.
import cliProgress from "cli-progress";
import type { TrainProgress } from "../engine/train.js";
import { percent } from "./format.js";

const PHASE_LABELS: Record<string, string> = { featurize: "featurize", epoch: "epochs", refit: "refit" };

export type TrainProgressDisplay = {
  onProgress: ((p: TrainProgress) => void) | undefined;
  /** Idempotent; call in `finally` so an error does not leave the bar half drawn. */
  stop: () => void;
};

export function trainProgressDisplay(stream: NodeJS.WriteStream = process.stderr): TrainProgressDisplay {
  if (!stream.isTTY) return { onProgress: undefined, stop: () => {} };

  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: "{phase} [{bar}] {value}/{total} {detail}",
      barsize: 30,
      hideCursor: true,
      clearOnComplete: true,
      fps: 15,
    },
    cliProgress.Presets.shades_classic,
  );
  let phase: string | undefined;
  let running = false;

  // One bar per phase, restarted when the phase changes: featurize (texts), then epochs, then
  // any later phase the trainer reports (e.g. the refit on all examples).
  const onProgress = (p: TrainProgress) => {
    const [value, total, detail] =
      p.phase === "featurize"
        ? [p.done, p.total, ""]
        : [p.epoch, p.maxEpochs, p.validationAccuracy === null ? "" : `validation accuracy ${percent(p.validationAccuracy)}`];
    if (p.phase !== phase) {
      if (running) bar.stop();
      bar.start(total, value, { phase: (PHASE_LABELS[p.phase] ?? p.phase).padEnd(9), detail });
      running = true;
      phase = p.phase;
    } else {
      bar.update(value, { detail });
    }
  };

  return {
    onProgress,
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}
