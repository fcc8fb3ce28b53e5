// npm run bench:structured [-- --data-dir DIR] [--orders N] [--quick] [--validation]
//
// A structured task from a cold start: SNIPS (../shared/datasets/snips) as `{intent, <slot type>:
// [values]}` objects, 40 fields (the intent a choice of 7, each of the 39 slot types a list of
// values copied from the text). The training split, shuffled with a fixed seed, is the stream of
// requests; the test split is the holdout the final cascade is evaluated on. The teacher is
// simulated at 85% whole-object accuracy (src/teacher/sim-structured-key.ts: a missed value, a
// boundary off by a word, or a confused intent, more often on texts with more values); routing at
// max_error 5% with 95% confidence and a 5% audit rate, on whole objects: a specialist answer that
// differs from the teacher's in any field is an error. Every other setting is the task default.
// Also measures the routing overhead of a structured prediction (all fields) in process.
// Writes bench/results/structured.json and the structured section of bench/README.md.
//
// --orders N (default 3) replays N shuffled stream orders (seeds 101, 202, …), reported as median
// and worst. --quick: 1 order. --validation: orders 42 and 7, never the reported ones; prints only.
import { join, resolve } from "node:path";
import { fieldDifferences, parseCanonical } from "../src/engine/structured-answer.js";
import { argValue, numberFlag, REPO_ROOT } from "./lib/banking77.js";
import { markdownTable, updateReadmeSection, writeResult } from "./lib/report.js";
import { medianAndWorst } from "./lib/spread.js";
import { ORDER_SEEDS, pct, runInlineOrder, runSummary, snipsStructured, TEACHER_ACCURACY, VALIDATION_SEEDS, type InlineRun as Run } from "./lib/snips-structured.js";
import { latencyPercentiles } from "./lib/timing.js";

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

const dataDir = resolve(argValue("--data-dir") ?? join(REPO_ROOT, "../shared/datasets/snips"));
const validation = process.argv.includes("--validation");
const orders = validation ? VALIDATION_SEEDS.length : process.argv.includes("--quick") ? 1 : numberFlag("--orders", 3);
const seeds = (validation ? VALIDATION_SEEDS : ORDER_SEEDS).slice(0, orders);

const setting = snipsStructured(dataDir);
const { train, test, fields, key, task } = setting;
console.error(`SNIPS structured: ${train.length} stream / ${test.length} holdout texts, ${fields.length} fields; teacher wrong on ${key.mistakes} of ${key.answers.size} texts`);

/**
 * Per field, the share of the final cascade's specialist answers on the holdout that differ from
 * the teacher's answer in that field (fields that never differ are left out): where the
 * object-level disagreement comes from.
 */
function fieldDisagreement(run: Run): Record<string, number> {
  const counts = new Map<string, number>();
  let answered = 0;
  for (const { text } of test) {
    const d = run.cascade.router.decide(text);
    if (d.decision !== "specialist") continue;
    answered++;
    for (const f of fieldDifferences(fields, parseCanonical(d.prediction!), parseCanonical(key.answers.get(text)!))) counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).map(([f, n]) => [f, round(n / answered)]));
}

function summary(run: Run) {
  return { ...runSummary(run), holdout_field_disagreement: fieldDisagreement(run) };
}
type Summary = ReturnType<typeof summary>;


function spread(all: Summary[]) {
  const of = (f: (o: Summary) => number, worst: "max" | "min") => medianAndWorst(all.map(f), worst);
  return {
    orders: all.length,
    stream_teacher_share: of((o) => o.teacher_share, "max"),
    stream_exact_match_vs_teacher_only: of((o) => o.exact_match - o.teacher_only_exact_match, "min"),
    stream_disagreement: of((o) => o.specialist_disagreement ?? 0, "max"),
    holdout_teacher_share: of((o) => o.holdout_teacher_share, "max"),
    holdout_exact_match_vs_teacher_only: of((o) => o.holdout_exact_match - o.holdout_teacher_only_exact_match, "min"),
    holdout_disagreement: of((o) => o.holdout_specialist_disagreement ?? 0, "max"),
  };
}

const runs: Run[] = [];
for (const seed of seeds) {
  const run = await runInlineOrder(setting, seed);
  runs.push(run);
  console.error(JSON.stringify(summary(run)));
}
const summaries = runs.map(summary);
const s = spread(summaries);
// The routing overhead of one structured prediction, every field, on the holdout texts.
const overhead = latencyPercentiles(
  test.map((t) => t.text),
  (text) => runs[0].cascade.router.route(text),
);
const targets = {
  stream_teacher_share: s.stream_teacher_share.worst <= 0.5,
  stream_exact_match: s.stream_exact_match_vs_teacher_only.worst >= -0.01,
  holdout_teacher_share: s.holdout_teacher_share.worst <= 0.3,
  holdout_exact_match: s.holdout_exact_match_vs_teacher_only.worst >= -0.01,
  disagreement_within_bound: s.stream_disagreement.worst <= 0.05,
  routing_p99_under_1ms: overhead.p99_us < 1000,
};
const result = {
  createdAt: new Date().toISOString(),
  dataset: { name: "SNIPS 2017", stream: train.length, holdout: test.length, fields: fields.length },
  teacher: { accuracy: TEACHER_ACCURACY, mistakes: key.mistakes },
  routing: task.routing,
  orders: summaries,
  spread: s,
  routing_overhead_us: { p50: round(overhead.p50_us, 1), p99: round(overhead.p99_us, 1), max: round(overhead.max_us, 1) },
  targets,
};
console.log(JSON.stringify({ spread: s, routing_overhead_us: result.routing_overhead_us, targets }));
if (!validation) {
  writeResult("structured", result);
  const mw = (x: { median: number; worst: number }, signed = false) => `${signed && x.median >= 0 ? "+" : ""}${pct(x.median)} / ${signed && x.worst >= 0 ? "+" : ""}${pct(x.worst)}`;
  const table = markdownTable(
    ["figure (median / worst of orders)", "measured", "target"],
    [
      ["stream: share of requests sent to the teacher", mw(s.stream_teacher_share), "≤ 50%"],
      ["stream: exact match minus teacher-only", mw(s.stream_exact_match_vs_teacher_only, true), "≥ −1 pt"],
      ["stream: specialist answers differing from the teacher's (any field)", mw(s.stream_disagreement), "≤ 5% (max_error)"],
      ["holdout: share sent to the teacher", mw(s.holdout_teacher_share), "≤ 30%"],
      ["holdout: exact match minus teacher-only", mw(s.holdout_exact_match_vs_teacher_only, true), "≥ −1 pt"],
      ["holdout: specialist answers differing from the teacher's", mw(s.holdout_disagreement), "≤ 5%"],
      ["routing overhead of a structured prediction, p50 / p99", `${overhead.p50_us.toFixed(0)} / ${overhead.p99_us.toFixed(0)} µs`, "p99 < 1 ms"],
    ],
  );
  const perOrder = markdownTable(
    ["order", "teacher share", "exact match (teacher only)", "disagreement", "holdout teacher share", "holdout exact match (teacher only)", "retrains", "seconds"],
    summaries.map((o) => [o.order, pct(o.teacher_share), `${pct(o.exact_match)} (${pct(o.teacher_only_exact_match)})`, pct(o.specialist_disagreement), pct(o.holdout_teacher_share), `${pct(o.holdout_exact_match)} (${pct(o.holdout_teacher_only_exact_match)})`, o.retrains, o.seconds]),
  );
  const fieldsLine = Object.entries(summaries[0].holdout_field_disagreement)
    .slice(0, 6)
    .map(([f, x]) => `${f} ${pct(x)}`)
    .join(", ");
  updateReadmeSection(
    "structured",
    `SNIPS as a structured task (${train.length} stream / ${test.length} holdout texts, ${fields.length} fields), ${summaries.length} stream orders, one run of \`npm run bench:structured\` (${result.createdAt.slice(0, 10)}). Simulated teacher at ${pct(TEACHER_ACCURACY, 0)} whole-object accuracy; max_error 5% at 95% on whole objects.\n\n${table}\n\n${perOrder}\n\nWhere the holdout disagreement comes from (order ${summaries[0].order}, share of specialist answers differing from the teacher's in the field): ${fieldsLine || "none"}.`,
  );
}
