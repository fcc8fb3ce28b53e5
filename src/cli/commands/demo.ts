// apprentice demo (npm run demo): starts the gateway on a fresh SQLite database with the bundled
// banking support-chatbot task and, beside it, the structured transfers task (money-transfer
// requests answered as JSON objects), replays traffic through its HTTP API so that the
// specialists learn from the teacher and the stats fill up, prints what happened and
// ready-to-paste examples, and keeps serving until Ctrl-C (or exits with --no-serve).
import { Option, type Command } from "commander";
import { DEFAULT_HOST } from "../../server/start.js";
import { TEACHER_ENDPOINT_DEFAULTS } from "../../task/definition.js";
import type { TaskStats } from "../../server/runtime/task-stats.js";
import { DEMO_DB, startDemoGateway, type DemoGateway } from "../demo/demo-gateway.js";
import { replayTraffic, type ReplayResult } from "../demo/replay.js";
import { canonicalContent, transfersResponseFormat } from "../demo/transfers.js";
import { captureSummary, captureTraffic, captureTryLines, replayCapturedCalls, startCaptureDemo } from "../demo/capture-demo.js";
import { CliError, UsageError } from "../errors.js";
import { fixed, percent, table } from "../format.js";
import { printLines } from "../output.js";

const DEMO_PORT = 8080;
const SAMPLE = "my card still hasn't arrived, it's been two weeks";
const TRANSFER_SAMPLE = "send Anna 25 euros on Friday";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be an integer 0-65535, got "${value}"`);
  return n;
}

type Stats = TaskStats & { model_version: number };

async function fetchStats(demo: DemoGateway, task: string): Promise<Stats> {
  const res = await fetch(`${demo.gateway.url}/v1/tasks/${task}/stats`, { headers: { authorization: `Bearer ${demo.adminKey}` } });
  if (!res.ok) throw new CliError(`the demo gateway's stats failed with HTTP ${res.status}`);
  return (await res.json()) as Stats;
}

/** Specialist share in each quarter of the replay: the specialist takes over as it learns. */
function takeover(sources: ReplayResult["sources"]): string {
  const quarter = Math.ceil(sources.length / 4);
  const shares = [0, 1, 2, 3].map((q) => {
    const part = sources.slice(q * quarter, (q + 1) * quarter);
    return percent(part.filter((s) => s === "specialist").length / Math.max(1, part.length));
  });
  return `specialist share by quarter of the replay: ${shares.join(" → ")}`;
}

interface Outcome {
  task: string;
  replay: ReplayResult;
  stats: Stats;
  /** A structured task: one of its specialist's JSON answers is shown. */
  structured?: boolean;
}

/** One row per task; a structured task's answer is right only when every field is (exact match). */
function summaryLines(outcomes: Outcome[]): string[] {
  const money = (x: number | null) => (x === null ? "n/a" : fixed(x, 4));
  const lines = table(
    [
      ["replayed traffic", "requests", "specialist", "teacher calls", "calls saved", "exact match"],
      ...outcomes.map(({ task, replay, stats }) => [
        task,
        String(stats.requests),
        percent(stats.coverage),
        String(stats.teacher_calls),
        String(Math.max(0, stats.requests - stats.teacher_calls)),
        percent(replay.correct / Math.max(1, replay.requests)),
      ]),
    ],
    "lrrrrr",
  );
  for (const { task, replay, stats, structured } of outcomes) {
    const a = stats.audit;
    lines.push(
      `${task}: ${takeover(replay.sources)}`,
      `  Teacher cost ${money(stats.cost)}; the teacher alone would have cost ${money(stats.teacher_only_cost)}, so the specialist saved ${money(stats.cost_saved)}.`,
      a.audited === 0
        ? "  Live audit: no audits yet."
        : `  Live audit: ${a.audited} specialist answers re-asked to the teacher, ${percent(a.agreement ?? 0)} agreement; disagreement bound ${percent(a.disagreement_upper_bound)} vs max_error ${percent(a.max_error)} (${a.status}).`,
      `  Specialist model: version ${stats.model_version}.`,
    );
    if (structured && replay.specialistReply !== undefined) lines.push(`  The specialist's chat completion for "${replay.specialistReply.text}": ${replay.specialistReply.content}`);
  }
  return lines;
}

function tryLines(demo: DemoGateway): string[] {
  const { url } = demo.gateway;
  const task = demo.data.task.name;
  const body = JSON.stringify({ input: SAMPLE }).replace(/'/g, "'\\''");
  const chat = JSON.stringify({ model: `task:${task}`, messages: [{ role: "user", content: SAMPLE }] }).replace(/'/g, "'\\''");
  const transfer = JSON.stringify({ model: `task:${demo.transfers.task.name}`, messages: [{ role: "user", content: TRANSFER_SAMPLE }], response_format: { type: "json_object" } });
  const openaiSnippet = `import OpenAI from "openai"; const c = new OpenAI({ baseURL: "${url}/v1", apiKey: process.env.KEY }); const r = await c.chat.completions.create({ model: "task:${task}", messages: [{ role: "user", content: "I forgot my PIN" }] }); console.log(r.choices[0].message.content);`;
  return [
    `Try it (these keys belong to this demo's database only):`,
    `  export KEY=${demo.predictKey}`,
    `  curl -s ${url}/v1/tasks/${task}/predict -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d '${body}'`,
    `  curl -s ${url}/v1/chat/completions -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d '${chat}'`,
    `  node --input-type=module -e '${openaiSnippet}'`,
    `  curl -s ${url}/v1/chat/completions -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d '${transfer}'`,
    "",
    `Dashboard: ${url}/ (sign in with the admin key)`,
    `Admin key (dashboard, stats, examples, models): ${demo.adminKey}`,
    `  curl -s ${url}/v1/tasks/${task}/stats -H "Authorization: Bearer ${demo.adminKey}"`,
    `API reference: ${url}/docs`,
  ];
}

function portInUse(err: unknown, port: number): unknown {
  return (err as NodeJS.ErrnoException).code === "EADDRINUSE" ? new CliError(`port ${port} is in use: pass --port with a free one (0 picks any)`) : err;
}

async function runCaptureDemo(flags: { port: number; host: string; db: string; serve: boolean }): Promise<void> {
  const demo = await startCaptureDemo(flags).catch((err: unknown) => {
    throw portInUse(err, flags.port);
  });
  printLines([
    "Apprentice demo --capture: an app reads money transfers with gpt-4o-mini (json_schema answers); its OpenAI client's base URL is the gateway.",
    `Upstream LLM: simulated, offline, at ${demo.llm.url}`,
    `Gateway: ${demo.gateway.url} (database ${flags.db}); capture on, captured tasks may err on 10% of the calls they answer.`,
    `Replaying ${captureTraffic(demo.data).length} calls (every fourth streamed)…`,
  ]);
  const replay = await replayCapturedCalls(demo, (line) => printLines([line]));
  const summary = ["", ...captureSummary(replay, demo), ""];
  if (!flags.serve) {
    printLines([...summary, "The gateway has stopped (--no-serve).", ""]);
    await demo.close();
    return;
  }
  printLines([...summary, ...captureTryLines(demo), "", "Serving until Ctrl-C."]);
  await new Promise<never>(() => {});
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("start the gateway with the bundled banking support-chatbot and structured transfers tasks, replay traffic through it and keep serving")
    .addOption(new Option("--port <port>", "port to listen on").argParser(port).default(DEMO_PORT))
    .option("--host <host>", "address to listen on", DEFAULT_HOST)
    .option("--db <path>", "the demo's SQLite database (replaced on every run)", DEMO_DB)
    .option("--no-serve", "exit after the replay instead of serving until Ctrl-C")
    .option("--capture", "instead: an app calls gpt-4o-mini (a local simulated LLM) through the gateway, which captures the calls as a task, learns it in shadow mode and takes it over")
    .action(async (flags: { port: number; host: string; db: string; serve: boolean; capture?: boolean }) => {
      if (flags.capture === true) return runCaptureDemo(flags);
      let demo: DemoGateway;
      try {
        demo = await startDemoGateway(flags);
      } catch (err) {
        throw portInUse(err, flags.port);
      }
      const { task, seed, traffic } = demo.data;
      const transfers = demo.transfers;
      printLines([
        `Apprentice demo: ${task.name}: ${task.description ?? ""}`,
        `  and ${transfers.task.name} (structured): ${transfers.task.description ?? ""}`,
        demo.teacher === "sim"
          ? "Teacher: simulated, offline (set OPENAI_BASE_URL and/or OPENAI_API_KEY, and OPENAI_MODEL, to use a real LLM)"
          : `Teacher: ${process.env.OPENAI_MODEL || TEACHER_ENDPOINT_DEFAULTS.model} at ${process.env.OPENAI_BASE_URL || "the OpenAI API"}`,
        `Gateway: ${demo.gateway.url} (database ${flags.db})`,
        "",
        `Seeded ${seed.length} labelled messages and ${transfers.seed.length} checked transfer objects; trained specialist version 1 of each task.`,
        `Replaying ${traffic.length} customer messages through the API (half predict, half OpenAI chat completions)…`,
        `Replaying ${transfers.traffic.length} transfer requests beside them (half predict, half chat completions with a json_schema response_format)…`,
      ]);
      const idle = () => demo.gateway.app.runtimes.idle();
      const target = (name: string) => ({ url: demo.gateway.url, key: demo.predictKey, task: name });
      // Side by side: one task's retrain (in a worker thread) runs while the other's requests are
      // answered. Each replay still waits for retrains under way after every request, so each
      // task's specialist takes over at the same points on every run.
      const [replay, transferReplay] = await Promise.all([
        replayTraffic(target(task.name), traffic, idle),
        replayTraffic(target(transfers.task.name), transfers.traffic, idle, {
          responseFormat: transfersResponseFormat(transfers),
          contentAnswer: (content) => canonicalContent(transfers.fields, content),
        }),
      ]);
      // Retrains the replay triggered finish before the summary, so it shows their outcome.
      await idle();
      const outcomes = [
        { task: task.name, replay, stats: await fetchStats(demo, task.name) },
        { task: transfers.task.name, replay: transferReplay, stats: await fetchStats(demo, transfers.task.name), structured: true },
      ];
      const summary = ["", ...summaryLines(outcomes), ""];
      if (!flags.serve) {
        // The gateway stops here: its address, keys and commands would point at nothing.
        printLines([...summary, "The gateway has stopped (--no-serve). Run the demo without --no-serve to keep it serving and try it.", ""]);
        await demo.gateway.close();
        return;
      }
      printLines([...summary, ...tryLines(demo), "", "Serving until Ctrl-C."]);
      await new Promise<never>(() => {});
    });
}
