// npm run bench:cascade [-- --data-dir DIR] [--orders N] [--quick] [--validation]
//
// The cascade from a cold start on Banking77: the training split, shuffled with a fixed seed, is
// the stream of requests; the test split is the holdout the final cascade is evaluated on. The
// teacher is simulated at 83% accuracy (its mistakes on the hard, confusable texts; see
// src/teacher/sim-answer-key.ts); routing at max_error 5% with 95% confidence and a 5% audit
// rate; every other setting is the task default. Also measures the routing overhead in process.
// Writes bench/results/cascade.json, bench/results/cascade.svg and the cascade section of
// bench/README.md.
//
// --orders N (default 5) replays N shuffled stream orders (seeds 101, 202, …), reported as median
// and worst; the first is the headline run (plot, routing overhead). Then three shift streams built
// from the training split (bench/lib/shift-streams.ts). --quick: 2 orders, shift streams included.
// --validation: the orders settings were chosen on (seeds 42, 7, 99), never the reported ones;
// prints only, writes nothing.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { Cascade, type RetrainReport } from "../src/cascade/cascade.js";
import { simulationSvg } from "../src/cascade/plot-svg.js";
import { simulate, type SimulationResult } from "../src/cascade/simulation.js";
import { mulberry32, shuffleInPlace } from "../src/engine/random.js";
import { parseTask, type Task } from "../src/task/definition.js";
import { SimulatedTeacher } from "../src/teacher/simulated-teacher.js";
import { argValue, loadBanking77, REPO_ROOT, type LabeledText } from "./lib/banking77.js";
import { SHIFT_KINDS, shiftStream } from "./lib/shift-streams.js";
import { latencyPercentiles, type LatencyPercentiles } from "./lib/timing.js";
import { markdownTable, updateReadmeSection, writeResult } from "./lib/report.js";
import { medianAndWorst } from "./lib/spread.js";

const TEACHER_ACCURACY = 0.83;
/** Reported orders. Settings (shift guard, grid) were chosen on VALIDATION_SEEDS only. */
const ORDER_SEEDS = [101, 202, 303, 404, 505, 606, 707, 808, 909, 1010];
const VALIDATION_SEEDS = [42, 7, 99];
const SHIFT_SEED = 2027;
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
const pct = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? "n/a" : `${(100 * x).toFixed(d)}%`);

function bankingTask(dir: string, train: LabeledText[]): Task {
  const file = join(dir, "categories.json");
  const labels = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as string[]) : [...new Set(train.map((e) => e.label))].sort();
  return parseTask({
    name: "banking77",
    instructions: "Classify the customer's message to a bank into one of the intents.",
    labels: labels.map((name) => ({ name })),
    teacher: { provider: "sim" },
    routing: { max_error: 0.05, confidence_level: 0.95, audit_rate: 0.05 },
  });
}

interface Run {
  /** The order's seed, or the shift stream's name. */
  seed: number | string;
  result: SimulationResult;
  cascade: Cascade;
  retrains: RetrainReport[];
  seconds: number;
}

function shuffled(train: LabeledText[], seed: number): LabeledText[] {
  return shuffleInPlace([...train], mulberry32(seed));
}

async function runOrder(seed: number | string, stream: LabeledText[], task: Task, teacher: SimulatedTeacher, test: LabeledText[]): Promise<Run> {  const retrains: RetrainReport[] = [];
  const cascade = new Cascade({ task, teacher, onRetrain: (r) => retrains.push(r) });
  const t0 = performance.now();
  const result = await simulate(cascade, {
    stream,
    holdout: test,
    onCheckpoint: (c) =>
      console.error(
        `[order ${seed}] ${c.requests} requests: teacher ${pct(c.teacher_calls / c.requests)}, last window specialist ${pct(c.window_coverage)}, ` +
          `accuracy ${pct(c.accuracy)} (teacher only ${pct(c.teacher_only_accuracy)}), v${c.version}, threshold ${c.threshold?.toFixed(3) ?? "none"}`,
      ),
  });
  return { seed, result, cascade, retrains, seconds: (performance.now() - t0) / 1000 };
}

/** p50/p99 of one router.route(text) call, prediction included, over the texts (3 passes after a warm-up). */
function routingLatency(cascade: Cascade, texts: string[]): LatencyPercentiles {
  const l = latencyPercentiles(texts, (t) => cascade.router.route(t));
  return { p50_us: round(l.p50_us, 1), p99_us: round(l.p99_us, 1), max_us: round(l.max_us, 1) };
}

function summary(run: Run) {
  const r = run.result;
  const h = r.holdout!;
  return {
    order: run.seed,
    requests: r.requests,
    teacher_calls: r.teacher_calls,
    teacher_share: round(r.teacher_calls / r.requests),
    audits: r.audits,
    disagreements: r.disagreements,
    coverage: round(r.coverage),
    accuracy: round(r.accuracy),
    teacher_only_accuracy: round(r.teacher_only_accuracy!),
    specialist_error_vs_teacher: r.specialist_error_vs_teacher === null ? null : round(r.specialist_error_vs_teacher),
    specialist_accuracy: r.specialist_accuracy === null ? null : round(r.specialist_accuracy),
    cost: round(r.cost),
    teacher_only_cost: round(r.teacher_only_cost!),
    versions: r.versions,
    rejected_versions: r.rejected_versions,
    retrains: r.retrains,
    tightenings: r.tightenings,
    longest_pause: r.longest_pause,
    examples: r.examples,
    final_threshold: r.final_threshold === null ? null : round(r.final_threshold),
    holdout_accuracy: round(h.holdout_accuracy),
    holdout_teacher_only_accuracy: round(h.holdout_teacher_only_accuracy!),
    holdout_coverage: round(h.holdout_coverage),
    holdout_teacher_share: round(h.holdout_teacher_share),
    seconds: round(run.seconds, 1),
    training_seconds: round(run.retrains.reduce((s, x) => s + x.seconds, 0), 1),
  };
}


type Summary = ReturnType<typeof summary>;


/** Median and worst over the orders of the figures the targets are about. */
function spread(all: Summary[]) {
  const of = (f: (o: Summary) => number, worst: "max" | "min") => medianAndWorst(all.map(f), worst);
  return {
    orders: all.length,
    stream_teacher_share: of((o) => o.teacher_share, "max"),
    holdout_teacher_share: of((o) => o.holdout_teacher_share, "max"),
    stream_accuracy_vs_teacher_only: of((o) => o.accuracy - o.teacher_only_accuracy, "min"),
    holdout_accuracy_vs_teacher_only: of((o) => o.holdout_accuracy - o.holdout_teacher_only_accuracy, "min"),
    specialist_error_vs_teacher: of((o) => o.specialist_error_vs_teacher ?? 0, "max"),
    tightenings: of((o) => o.tightenings, "max"),
    longest_pause: of((o) => o.longest_pause, "max"),
  };
}

async function main() {
  const started = performance.now();
  const { dir, train, test } = await loadBanking77();
  const quick = process.argv.includes("--quick");
  const validation = process.argv.includes("--validation");
  const seeds = validation ? VALIDATION_SEEDS : ORDER_SEEDS.slice(0, Math.max(1, Math.min(ORDER_SEEDS.length, Number(argValue("--orders") ?? (quick ? 2 : 5)))));
  const task = bankingTask(dir, train);
  const teacher = new SimulatedTeacher({ labels: task.labels.map((l) => l.name), gold: [...train, ...test], accuracy: TEACHER_ACCURACY, seed: 1 });
  console.error(`Banking77 from ${dir}: stream ${train.length} (train split), holdout ${test.length} (test split); orders ${seeds.join(", ")}${validation ? " (validation)" : ""}`);

  const runs: Run[] = [];
  for (const seed of seeds) runs.push(await runOrder(seed, shuffled(train, seed), task, teacher, test));
  const shifts: Run[] = [];
  for (const kind of SHIFT_KINDS) shifts.push(await runOrder(kind, shiftStream(train, kind, validation ? SHIFT_SEED + 1 : SHIFT_SEED), task, teacher, test));
  const all = runs.map(summary);
  const shiftSummaries = shifts.map(summary);
  const sp = spread(all);
  const totalSeconds = (performance.now() - started) / 1000;
  if (validation) {
    console.log(JSON.stringify({ spread: sp, orders: all, shifts: shiftSummaries }, null, 1));
    return;
  }
  const headline = runs[0];
  const latency = routingLatency(headline.cascade, test.map((e) => e.text));

  const target = (name: string, goal: string, value: string, met: boolean) => ({ name, goal, value, met });
  const maxError = task.routing.max_error;
  const shiftMargin = (kind: string) => {
    const o = shiftSummaries.find((x) => x.order === kind)!;
    return o.accuracy - o.teacher_only_accuracy;
  };
  const pt = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)} pt`;
  const targets = [
    target("stream teacher share, median", "≤ 40%", pct(sp.stream_teacher_share.median), sp.stream_teacher_share.median <= 0.4),
    target("stream teacher share, worst order", "≤ 45%", pct(sp.stream_teacher_share.worst), sp.stream_teacher_share.worst <= 0.45),
    target("holdout teacher share, every order", "≤ 25%", pct(sp.holdout_teacher_share.worst), sp.holdout_teacher_share.worst <= 0.25),
    target("stream accuracy − teacher only, worst order", "≥ −1 pt", pt(sp.stream_accuracy_vs_teacher_only.worst), sp.stream_accuracy_vs_teacher_only.worst >= -0.01),
    target("holdout accuracy − teacher only, worst order", "≥ −1 pt", pt(sp.holdout_accuracy_vs_teacher_only.worst), sp.holdout_accuracy_vs_teacher_only.worst >= -0.01),
    target("realised disagreement, worst order", `≤ ${pct(maxError)} (max_error)`, pct(sp.specialist_error_vs_teacher.worst), sp.specialist_error_vs_teacher.worst <= maxError),
    target("realised disagreement, median", "≥ 3.5% (budget used)", pct(sp.specialist_error_vs_teacher.median), sp.specialist_error_vs_teacher.median >= 0.035),
    target("new labels halfway: accuracy − teacher only", "≥ −1 pt", pt(shiftMargin("new_labels_halfway")), shiftMargin("new_labels_halfway") >= -0.01),
    target("label-sorted: accuracy − teacher only", "≥ −2 pt", pt(shiftMargin("label_sorted")), shiftMargin("label_sorted") >= -0.02),
    target("routing overhead p99", "< 1 ms", `${latency.p99_us} µs`, latency.p99_us < 1000),
  ];
  const result = {
    benchmark: "cascade",
    dataset: { name: "Banking77", stream: train.length, holdout: test.length, labels: task.labels.length },
    setup: {
      teacher: `simulated, accuracy ${TEACHER_ACCURACY}`,
      routing: task.routing,
      training: task.training,
      retrain_growth: 0.1,
      order_seeds: seeds,
      validation_seeds: VALIDATION_SEEDS,
      shift_seed: SHIFT_SEED,
    },
    machine: { cpus: cpus().length, node: process.version },
    date: new Date().toISOString(),
    spread: sp,
    headline: all[0],
    routing_latency_us: latency,
    targets,
    orders: all,
    shift_streams: shiftSummaries,
    checkpoints: headline.result.checkpoints,
    retrains: headline.retrains.map((r) => ({
      promoted: r.promoted,
      version: r.version,
      train_examples: r.trainExamples,
      holdout_examples: r.holdoutExamples,
      candidate_accuracy: r.candidateAccuracy === null ? null : round(r.candidateAccuracy),
      current_accuracy: r.currentAccuracy === null ? null : round(r.currentAccuracy),
      threshold: r.threshold?.threshold === null || r.threshold === null ? null : round(r.threshold.threshold),
      holdout_covered: r.threshold?.covered ?? 0,
      seconds: round(r.seconds, 2),
    })),
    wall_seconds: round(totalSeconds, 1),
  };
  const path = writeResult("cascade", result);
  const title = `Banking77 cascade from a cold start, order ${headline.seed} (teacher ${pct(TEACHER_ACCURACY, 0)} accurate, max error 5% at 95%)`;
  writeFileSync(join(REPO_ROOT, "bench/results/cascade.svg"), simulationSvg(headline.result.trace, { title }));

  const md = markdown(result, latency, totalSeconds);
  updateReadmeSection("cascade", md);
  console.log(md);
  console.error(`wrote ${path}, bench/results/cascade.svg and the cascade section of bench/README.md`);
}

function markdown(
  result: { date: string; machine: { cpus: number; node: string }; spread: ReturnType<typeof spread>; orders: Summary[]; shift_streams: Summary[]; targets: { name: string; goal: string; value: string; met: boolean }[] },
  latency: LatencyPercentiles,
  seconds: number,
): string {
  const sp = result.spread;
  const row = (o: Summary) => [
    o.order,
    `${pct(o.teacher_share)} (${pct(o.coverage)})`,
    `${pct(o.accuracy, 2)} / ${pct(o.teacher_only_accuracy, 2)}`,
    pct(o.specialist_error_vs_teacher),
    pct(o.holdout_teacher_share),
    `${pct(o.holdout_accuracy, 2)} / ${pct(o.holdout_teacher_only_accuracy, 2)}`,
    `${o.tightenings}`,
    `${o.longest_pause}`,
    `${o.retrains} (${o.training_seconds} s)`,
  ];
  const header = ["stream", "teacher share (specialist)", "accuracy / teacher only", "disagreement (≤ 5%)", "holdout teacher share", "holdout accuracy / teacher only", "tightenings", "longest pause", "retrains (training)"];
  const lines = [
    `### Cascade on Banking77 (${result.date.slice(0, 10)}, ${result.machine.cpus} cores, Node ${result.machine.node})`,
    "",
    `Cold start; each stream is the ${result.orders[0].requests.toLocaleString("en-US")}-text training split in another order, the holdout the test split (evaluated after the stream, frozen). ` +
      `Simulated teacher ${pct(TEACHER_ACCURACY, 0)} accurate; max_error 5% at 95% confidence, audit_rate 5%, other settings default. ` +
      `Shuffled orders use seeds never used to choose settings (those were chosen on seeds ${VALIDATION_SEEDS.join(", ")}). ` +
      `"Disagreement" is the share of the specialist's answers that differ from the teacher's (what max_error bounds); "longest pause" the longest run of requests after the specialist's first answer that it did not answer. ` +
      `Plot of order ${result.orders[0].order}: [results/cascade.svg](results/cascade.svg).`,
    "",
    markdownTable(header, result.orders.map(row)),
    "",
    `Over ${sp.orders} orders, median (worst): stream teacher share ${pct(sp.stream_teacher_share.median)} (${pct(sp.stream_teacher_share.worst)}), ` +
      `holdout teacher share ${pct(sp.holdout_teacher_share.median)} (${pct(sp.holdout_teacher_share.worst)}), ` +
      `disagreement ${pct(sp.specialist_error_vs_teacher.median)} (${pct(sp.specialist_error_vs_teacher.worst)}), ` +
      `longest pause ${sp.longest_pause.median} (${sp.longest_pause.worst}) requests.`,
    "",
    "Shift streams (built from the training split, seed " + SHIFT_SEED + "; bench/lib/shift-streams.ts): a quarter of the labels appear only from halfway on; all texts sorted by label; the mix drifting linearly from one half of the labels to the other.",
    "",
    markdownTable(header, result.shift_streams.map(row)),
    "",
    `Routing p50 / p99 ${latency.p50_us} / ${latency.p99_us} µs per request (prediction included); ${seconds.toFixed(0)} s in all.`,
    "",
    markdownTable(
      ["target (issue 17)", "goal", "this run", ""],
      result.targets.map((t) => [t.name, t.goal, t.value, t.met ? "met" : "**missed**"]),
    ),
  ];
  return lines.join("\n");
}

main().catch((e) => {
  console.error(`bench:cascade: ${(e as Error).message}`);
  process.exit(1);
});
