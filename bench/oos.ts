// npm run bench:oos [-- --study] [--seeds 3,4] [--data-dir DIR] [--snips-dir DIR]
//
// Out-of-scope traffic (issue 21), on data built at run time from ../shared (bench/lib/oos-data.ts):
//
// --study: the scope-score study (bench/oos-study.ts): every candidate's AUROC, in-scope against
// out-of-scope, on the choosing splits (seeds 1–2, training data only) and the reporting splits
// (seeds 3–7, test data). Writes bench/results/oos-study.json and the oos-study README section.
//
// Default: mixed streams. For each reporting split (BANKING77-OOS seed), a banking task of the
// split's 58 in-scope intents sees its training texts as a stream from a cold start, with
// out-of-scope messages mixed in at 0%, 10% and 20%: the held-out intents' training texts, or
// SNIPS training queries (out of domain). The simulated teacher is right on 83% of in-scope texts
// (as bench:cascade) and answers "none of these" for 90% of out-of-scope ones (the nearest label
// for the rest). The final cascade is then evaluated, frozen, on the split's in-scope test texts
// with the same share of out-of-scope test texts (held-out intents' test texts, or SNIPS test
// queries). Writes bench/results/oos.json and the oos README section.
import { Cascade } from "../src/cascade/cascade.js";
import { simulate, type HoldoutEvaluation } from "../src/cascade/simulation.js";
import { NONE_LABEL, parseTask } from "../src/task/definition.js";
import { SimulatedTeacher } from "../src/teacher/simulated-teacher.js";
import { argValue, type LabeledText } from "./lib/banking77.js";
import { banking77OosSplit, loadOosSources, mixStream } from "./lib/oos-data.js";
import { markdownTable, updateReadmeSection, writeResult } from "./lib/report.js";
import { CANDIDATES, CHOOSING_SEEDS, REPORTING_SEEDS, runStudy, type StudyRow } from "./oos-study.js";

const TEACHER_ACCURACY = 0.83;
/** How often the simulated teacher takes "none of these" for an out-of-scope text. */
const NONE_RATE = 0.9;
const SHARES = [0, 0.1, 0.2];

const pct = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? "n/a" : `${(100 * x).toFixed(d)}%`);
const round = (x: number | null, d = 4) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

function spread(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `${mean.toFixed(3)} (${s[0].toFixed(3)}–${s[s.length - 1].toFixed(3)})`;
}

async function study(): Promise<void> {
  const rows: StudyRow[] = await runStudy((s) => console.log(s));
  writeResult("oos-study", { choosing_seeds: CHOOSING_SEEDS, reporting_seeds: REPORTING_SEEDS, rows });
  const table = (role: StudyRow["role"], oos: string) => {
    const rs = rows.filter((r) => r.role === role && r.oos === oos);
    return CANDIDATES.map(([name]) => [name, spread(rs.map((r) => r.auroc[name])), ...rs.map((r) => r.auroc[name].toFixed(3))]);
  };
  const seedsOf = (role: StudyRow["role"]) => (role === "choosing" ? CHOOSING_SEEDS : REPORTING_SEEDS);
  const parts: string[] = [];
  for (const role of ["choosing", "reporting"] as const) {
    for (const oos of ["held-out intents", "SNIPS"]) {
      parts.push(`**${role} splits, out-of-scope = ${oos}** (AUROC, mean (min–max) then per seed)\n`);
      parts.push(markdownTable(["candidate", "mean (min–max)", ...seedsOf(role).map((s) => `seed ${s}`)], table(role, oos)));
      parts.push("");
    }
  }
  updateReadmeSection("oos-study", parts.join("\n"));
}

interface StreamRun {
  seed: number;
  oos: string;
  share: number;
  requests: number;
  teacher_share: number;
  accuracy: number;
  teacher_only_accuracy: number | null;
  specialist_error_vs_teacher: number | null;
  holdout: HoldoutEvaluation;
  seconds: number;
}

async function streams(): Promise<void> {
  const src = await loadOosSources();
  const seeds = (argValue("--seeds") ?? "3,4").split(",").map(Number);
  const runs: StreamRun[] = [];
  for (const seed of seeds) {
    const split = banking77OosSplit(src.banking, seed);
    const task = parseTask({
      name: "banking-oos",
      instructions: "Classify the customer's message to a bank into one of the intents.",
      labels: split.inScopeLabels.map((name) => ({ name })),
      teacher: { provider: "sim" },
      routing: { max_error: 0.05, confidence_level: 0.95, audit_rate: 0.05 },
    });
    const conditions: { oos: string; share: number; train: LabeledText[]; test: LabeledText[] }[] = [{ oos: "none", share: 0, train: [], test: [] }];
    for (const share of SHARES.filter((s) => s > 0)) {
      conditions.push({ oos: "held-out intents", share, train: split.trainOos, test: split.testOos });
      conditions.push({ oos: "SNIPS", share, train: src.snipsTrain, test: src.snipsTest });
    }
    for (const c of conditions) {
      const started = performance.now();
      const stream = mixStream(split.train, c.train, c.share, seed);
      const holdout = mixStream(split.testIn, c.test, c.share, seed + 1000);
      const teacher = new SimulatedTeacher({
        labels: split.inScopeLabels,
        gold: [...stream, ...holdout],
        accuracy: TEACHER_ACCURACY,
        seed,
        outOfScope: { label: NONE_LABEL, rate: NONE_RATE },
      });
      const inTask = new Set(split.inScopeLabels);
      // Gold "none" for what fits no label: the right answer to an out-of-scope message.
      const gold = (e: LabeledText) => ({ text: e.text, label: inTask.has(e.label) ? e.label : NONE_LABEL });
      const cascade = new Cascade({ task, teacher, trainOptions: { seed } });
      const r = await simulate(cascade, { stream: stream.map(gold), holdout: holdout.map(gold), checkpoints: 4 });
      const run: StreamRun = {
        seed,
        oos: c.oos,
        share: c.share,
        requests: r.requests,
        teacher_share: r.teacher_calls / r.requests,
        accuracy: r.accuracy,
        teacher_only_accuracy: r.teacher_only_accuracy,
        specialist_error_vs_teacher: r.specialist_error_vs_teacher,
        holdout: r.holdout!,
        seconds: (performance.now() - started) / 1000,
      };
      runs.push(run);
      const h = run.holdout;
      console.log(
        `seed ${seed} ${c.oos} ${pct(c.share, 0)}: stream teacher ${pct(run.teacher_share)}, acc ${pct(run.accuracy)} (teacher-only ${pct(run.teacher_only_accuracy)}); ` +
          `holdout in-scope coverage ${pct(h.holdout_in_scope_coverage)}, OOS answered ${pct(h.holdout_out_of_scope_answered)}, ` +
          `specialist error vs gold ${pct(h.holdout_specialist_error)} (teacher's own ${pct(h.holdout_teacher_error_on_answered)}), vs teacher ${pct(h.holdout_specialist_error_vs_teacher)}, ` +
          `scope AUROC ${h.holdout_scope_auroc?.toFixed(3) ?? "n/a"} (${run.seconds.toFixed(0)} s)`,
      );
      writeResult("oos", { teacher_accuracy: TEACHER_ACCURACY, none_rate: NONE_RATE, runs: runs.map((x) => ({ ...x, holdout: Object.fromEntries(Object.entries(x.holdout).map(([k, v]) => [k, typeof v === "number" ? round(v) : v])) })) });
    }
  }
  const base = new Map(runs.filter((r) => r.share === 0).map((r) => [r.seed, r.holdout.holdout_in_scope_coverage]));
  const rows = runs.map((r) => {
    const h = r.holdout;
    return [
      r.seed,
      r.oos,
      pct(r.share, 0),
      pct(r.teacher_share),
      pct(h.holdout_in_scope_coverage),
      `${((h.holdout_in_scope_coverage - base.get(r.seed)!) * 100).toFixed(1)} pt`,
      pct(h.holdout_out_of_scope_answered),
      pct(h.holdout_specialist_error),
      pct(h.holdout_teacher_error_on_answered),
      pct(h.holdout_specialist_error_vs_teacher),
      h.holdout_scope_auroc?.toFixed(3) ?? "n/a",
    ];
  });
  // Spread over splits per condition, each figure against its target.
  const pctSpread = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
    if (v.length === 0) return "n/a";
    return `${pct(v.reduce((a, b) => a + b, 0) / v.length)} (${pct(v[0])}–${pct(v[v.length - 1])})`;
  };
  const summary: (string | number)[][] = [];
  for (const oos of ["none", "held-out intents", "SNIPS"]) {
    for (const share of SHARES) {
      const rs = runs.filter((r) => r.oos === oos && r.share === share);
      if (rs.length === 0) continue;
      const h = rs.map((r) => r.holdout);
      summary.push([
        oos,
        pct(share, 0),
        rs.length,
        pctSpread(rs.map((r) => r.teacher_share)),
        pctSpread(h.map((x) => x.holdout_in_scope_coverage - base.get(rs[h.indexOf(x)].seed)!)),
        pctSpread(h.map((x) => x.holdout_out_of_scope_answered)),
        pctSpread(h.map((x) => (x.holdout_specialist_error === null || x.holdout_teacher_error_on_answered === null ? null : x.holdout_specialist_error - x.holdout_teacher_error_on_answered))),
        pctSpread(h.map((x) => x.holdout_specialist_error_vs_teacher)),
        h.some((x) => x.holdout_scope_auroc !== null) ? spread(h.map((x) => x.holdout_scope_auroc ?? NaN).filter((x) => !Number.isNaN(x))) : "n/a",
      ]);
    }
  }
  const summaryTable = markdownTable(
    [
      "out-of-scope",
      "share",
      "splits",
      "stream to teacher",
      "in-scope coverage vs 0% (target ≥ −5 pt)",
      "OOS answered (target ≤ 2%)",
      "specialist error − teacher's error there (target ≤ 5%)",
      "specialist error vs teacher (target ≤ 5%)",
      "scope AUROC",
    ],
    summary,
  );
  updateReadmeSection(
    "oos",
    `**Mean (min–max) over splits ${seeds.join(", ")}**\n\n${summaryTable}\n\n**Per split**\n\n` +
    markdownTable(
      ["split", "out-of-scope", "share", "stream to teacher", "in-scope coverage", "vs 0% OOS", "OOS answered by specialist", "specialist error vs gold", "teacher's error there", "specialist error vs teacher", "scope AUROC"],
      rows,
    ),
  );
}

if (process.argv.includes("--study")) await study();
else await streams();
