// npm run bench:cascade [-- --data-dir DIR] [--orders N]
//
// The cascade from a cold start on Banking77: the training split, shuffled with a fixed seed, is
// the stream of requests; the test split is the holdout the final cascade is evaluated on. The
// teacher is simulated at 83% accuracy (its mistakes on the hard, confusable texts; see
// src/teacher/sim-answer-key.ts); routing at max_error 5% with 95% confidence and a 5% audit
// rate; every other setting is the task default. Also measures the routing overhead in process.
// Writes bench/results/cascade.json, bench/results/cascade.svg and the cascade section of
// bench/README.md.
//
// --orders N (default 3) replays N stream orders (seeds 42, 7, 99, …) to show the run-to-run spread; the
// first order is the headline run (plot, routing overhead).
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
import { latencyPercentiles, type LatencyPercentiles } from "./lib/timing.js";
import { markdownTable, updateReadmeSection, writeResult } from "./lib/report.js";

const TEACHER_ACCURACY = 0.83;
const ORDER_SEEDS = [42, 7, 99, 3, 11];
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
  seed: number;
  result: SimulationResult;
  cascade: Cascade;
  retrains: RetrainReport[];
  seconds: number;
}

async function runOrder(seed: number, task: Task, teacher: SimulatedTeacher, train: LabeledText[], test: LabeledText[]): Promise<Run> {
  const stream = [...train];
  shuffleInPlace(stream, mulberry32(seed));
  const retrains: RetrainReport[] = [];
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
    order_seed: run.seed,
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

async function main() {
  const started = performance.now();
  const { dir, train, test } = await loadBanking77();
  const orders = Math.max(1, Math.min(ORDER_SEEDS.length, Number(argValue("--orders") ?? 3)));
  const task = bankingTask(dir, train);
  const teacher = new SimulatedTeacher({ labels: task.labels.map((l) => l.name), gold: [...train, ...test], accuracy: TEACHER_ACCURACY, seed: 1 });
  console.error(`Banking77 from ${dir}: stream ${train.length} (train split, shuffled), holdout ${test.length} (test split); ${orders} order(s)`);

  const runs: Run[] = [];
  for (const seed of ORDER_SEEDS.slice(0, orders)) runs.push(await runOrder(seed, task, teacher, train, test));
  const headline = runs[0];
  const latency = routingLatency(headline.cascade, test.map((e) => e.text));
  const s = summary(headline);
  const totalSeconds = (performance.now() - started) / 1000;

  const target = (name: string, goal: string, value: string, met: boolean) => ({ name, goal, value, met });
  const targets = [
    target("stream: teacher calls", "≤ 50% of requests", pct(s.teacher_share), s.teacher_share <= 0.5),
    target("stream: accuracy", `≥ teacher only − 1 pt (${pct(s.teacher_only_accuracy - 0.01)})`, pct(s.accuracy, 2), s.accuracy >= s.teacher_only_accuracy - 0.01),
    target("holdout: sent to the teacher", "≤ 30%", pct(s.holdout_teacher_share), s.holdout_teacher_share <= 0.3),
    target("holdout: accuracy", `≥ teacher only − 1 pt (${pct(s.holdout_teacher_only_accuracy - 0.01)})`, pct(s.holdout_accuracy, 2), s.holdout_accuracy >= s.holdout_teacher_only_accuracy - 0.01),
    target(
      "stream: specialist answers differing from the teacher's",
      "≤ 5% (max_error)",
      pct(s.specialist_error_vs_teacher),
      s.specialist_error_vs_teacher !== null && s.specialist_error_vs_teacher <= task.routing.max_error,
    ),
    target("routing overhead p99", "< 1 ms", `${latency.p99_us} µs`, latency.p99_us < 1000),
    target("bench wall time", "< 5 min", `${totalSeconds.toFixed(0)} s`, totalSeconds < 300),
  ];
  const result = {
    benchmark: "cascade",
    dataset: { name: "Banking77", stream: train.length, holdout: test.length, labels: task.labels.length },
    setup: {
      teacher: `simulated, accuracy ${TEACHER_ACCURACY}`,
      routing: task.routing,
      training: task.training,
      retrain_growth: 0.1,
      threshold_grid_ratio: 1.25,
    },
    machine: { cpus: cpus().length, node: process.version },
    date: new Date().toISOString(),
    headline: s,
    routing_latency_us: latency,
    targets,
    orders: runs.map(summary),
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
  const title = `Banking77 cascade from a cold start (teacher ${pct(TEACHER_ACCURACY, 0)} accurate, max error 5% at 95%)`;
  writeFileSync(join(REPO_ROOT, "bench/results/cascade.svg"), simulationSvg(headline.result.trace, { title }));

  const md = markdown(result, runs.map(summary), totalSeconds);
  updateReadmeSection("cascade", md);
  console.log(md);
  console.error(`wrote ${path}, bench/results/cascade.svg and the cascade section of bench/README.md`);
}

function markdown(result: { date: string; machine: { cpus: number; node: string }; headline: ReturnType<typeof summary>; routing_latency_us: { p50_us: number; p99_us: number }; targets: { name: string; goal: string; value: string; met: boolean }[] }, all: ReturnType<typeof summary>[], seconds: number): string {
  const s = result.headline;
  const lines = [
    `### Cascade on Banking77 (${result.date.slice(0, 10)}, ${result.machine.cpus} cores, Node ${result.machine.node})`,
    "",
    `Cold start; the ${s.requests.toLocaleString("en-US")}-request stream is the training split shuffled (seed ${s.order_seed}), the holdout the test split. ` +
      `Simulated teacher ${pct(TEACHER_ACCURACY, 0)} accurate; max_error 5% at 95% confidence, audit_rate 5%, other settings default. ` +
      `Plot: [results/cascade.svg](results/cascade.svg).`,
    "",
    markdownTable(
      ["", "teacher calls", "specialist answered", "accuracy", "teacher-only accuracy", "cost (teacher only)"],
      [
        ["stream", `${s.teacher_calls.toLocaleString("en-US")} (${pct(s.teacher_share)})`, pct(s.coverage), pct(s.accuracy, 2), pct(s.teacher_only_accuracy, 2), `${s.cost.toFixed(2)} (${s.teacher_only_cost.toFixed(2)})`],
        ["holdout, after the stream", pct(s.holdout_teacher_share), pct(s.holdout_coverage), pct(s.holdout_accuracy, 2), pct(s.holdout_teacher_only_accuracy, 2), ""],
      ],
    ),
    "",
    `${s.versions} versions promoted, ${s.rejected_versions} rejected, ${s.retrains} retrains (${s.training_seconds} s of training), ${s.audits} audits with ${s.disagreements} disagreements, ` +
      `${s.tightenings} tightenings. The specialist's answers differed from the teacher's on ${pct(s.specialist_error_vs_teacher)} of the requests it answered (the bounded error) ` +
      `and were ${pct(s.specialist_accuracy)} accurate against gold. Routing p50 / p99 ${result.routing_latency_us.p50_us} / ${result.routing_latency_us.p99_us} µs per request (prediction included); ${seconds.toFixed(0)} s in all.`,
    "",
    markdownTable(
      ["target", "goal", "this run", ""],
      result.targets.map((t) => [t.name, t.goal, t.value, t.met ? "met" : "**missed**"]),
    ),
  ];
  if (all.length > 1) {
    lines.push(
      "",
      "Other stream orders (same data and settings), for the run-to-run spread:",
      "",
      markdownTable(
        ["order seed", "stream teacher calls", "stream accuracy", "specialist vs teacher", "holdout sent to teacher", "holdout accuracy"],
        all.map((o) => [o.order_seed, pct(o.teacher_share), pct(o.accuracy, 2), pct(o.specialist_error_vs_teacher), pct(o.holdout_teacher_share), pct(o.holdout_accuracy, 2)]),
      ),
    );
  }
  return lines.join("\n");
}

main().catch((e) => {
  console.error(`bench:cascade: ${(e as Error).message}`);
  process.exit(1);
});
