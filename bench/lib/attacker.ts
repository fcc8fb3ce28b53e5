// The attacker of bench:reliability (issue 20): hostile traffic sent beside the legitimate load,
// over loopback only, bounded in time (it runs until stopped) and in count (each attack at most
// `max` requests per run). Each attack sends one request at a time, with a pause between:
//
// - oversized imports: a JSONL body of 101,000 rows (over the 100,000-row cap), a chunked CSV body
//   of ~70 MB in 50,000-character rows (over the 64 MiB byte cap with fewer rows than the row cap),
//   and a declared Content-Length over 64 MiB: each must be 413, and none of their rows stored
//   (their texts start with ATTACK_MARK, which the bench looks for in the store afterwards);
// - forced-teacher floods: `route: "teacher"` over 1,000 inputs with a predict key (403: it lacks
//   force_teacher) and over METERED_BATCH inputs with a key that has force_teacher and a small
//   teacher budget (200 until the budget is spent, then 429 teacher_budget_exceeded);
// - huge batches: 1,000 × 5,000 random characters (200; route specialist: random text would
//   otherwise be 1,000 teacher calls, the flood above), and 1,000 × 8,001 characters, over
//   MAX_BATCH_CHARS and the 5 MiB body limit before it (413);
// - anonymous floods from another loopback address (another client, as the failed-auth limiter
//   sees it): no key and made-up keys, back to back (401, then 429 auth_rate_limited).
//
// Every reply is counted by attack and status (and error code); a status outside the attack's
// expected set, any 5xx, and a request without a reply are unexpected. What the gateway
// acknowledged to the attacker (request ids, examples from the metered key's teacher answers) is
// kept so that the bench can check the store holds it.
import { Agent } from "node:http";
import type { PredictResult } from "../../src/server/runtime/predict.js";
import { IMPORT_BODY_LIMIT, MAX_IMPORT_ROWS } from "../../src/server/routes/examples.js";
import { MAX_PREDICT_INPUTS } from "../../src/server/routes/prediction-schemas.js";
import { MAX_BATCH_CHARS } from "../../src/server/routes/predictions.js";
import { attackRequest, errorCode, type AttackRequest } from "./attack-http.js";
import { randomTexts } from "./random-text.js";

/** Inputs per forced-teacher batch of the metered key: small, so that a few fit its budget before the 429s. */
const METERED_BATCH = 5;

/** Every imported text an oversized import carries starts with this: none may be stored. */
export const ATTACK_MARK = "[attack]";

export interface AttackTarget {
  url: string;
  task: string;
  /** A label of the task (the oversized imports' rows are otherwise valid). */
  label: string;
  /** Texts the teacher knows (the forced-teacher floods). */
  texts: readonly string[];
  adminKey: string;
  /** A predict key without force_teacher. */
  predictKey: string;
  /** A key with force_teacher and a small teacher budget. */
  meteredKey: string;
  /** The loopback address the anonymous floods come from. */
  anonymousAddress: string;
}

interface Attack {
  name: string;
  /** The statuses the gateway must answer with. */
  expected: readonly number[];
  pauseMs: number;
  /** At most this many requests per run. */
  max: number;
  request(i: number): AttackRequest;
}

/** One attack's figures: replies by "status code" (or "no reply: reason"), and how many were unexpected. */
export interface AttackCounts {
  expected: readonly number[];
  by_status: Record<string, number>;
  unexpected: number;
}

const json = (key: string | null) => ({ "content-type": "application/json", ...(key === null ? {} : { authorization: `Bearer ${key}` }) });

/** The anonymous floods' keep-alive connections (one per flood, as a flooding client would keep one open). */
interface FloodAgents {
  noKey: Agent;
  wrongKey: Agent;
}

function attacks(t: AttackTarget, meteredTexts: () => string[], agents: FloodAgents): Attack[] {
  const predictPath = `/v1/tasks/${t.task}/predict`;
  const importPath = `/v1/tasks/${t.task}/examples`;
  const admin = (contentType: string) => ({ authorization: `Bearer ${t.adminKey}`, "content-type": contentType });
  const rowsPerPiece = 1000;
  const jsonlPiece = Buffer.from(`${JSON.stringify({ text: `${ATTACK_MARK} import row`, label: t.label })}\n`.repeat(rowsPerPiece));
  const longRow = Buffer.from(`${ATTACK_MARK}${"x".repeat(50_000 - ATTACK_MARK.length)},${t.label}\n`);
  const forcedThousand = Buffer.from(JSON.stringify({ route: "teacher", inputs: Array.from({ length: MAX_PREDICT_INPUTS }, (_, i) => `${ATTACK_MARK} ${t.texts[i % t.texts.length]}`) }));
  const hugeBatch = Buffer.from(JSON.stringify({ route: "specialist", inputs: randomTexts(MAX_PREDICT_INPUTS, 5000, 7) }));
  const overCharCap = Math.floor(MAX_BATCH_CHARS / MAX_PREDICT_INPUTS) + 1;
  const batchOverCap = Buffer.from(JSON.stringify({ route: "specialist", inputs: Array.from({ length: MAX_PREDICT_INPUTS }, () => "y".repeat(overCharCap)) }));
  const madeUpKeys = ["not-a-key", `apx_${"z".repeat(40)}`, "apx_short", `sk-${"q".repeat(48)}`];
  const smallPredict = Buffer.from(JSON.stringify({ input: t.texts[0] }));
  return [
    {
      name: "import over the row cap (JSONL)",
      expected: [413],
      pauseMs: 3000,
      max: 20,
      request: () => ({
        method: "POST",
        path: importPath,
        headers: admin("application/x-ndjson"),
        body: function* () {
          for (let rows = 0; rows <= MAX_IMPORT_ROWS; rows += rowsPerPiece) yield jsonlPiece;
        },
      }),
    },
    {
      name: "import over the byte cap (chunked CSV)",
      expected: [413],
      pauseMs: 10_000,
      max: 5,
      request: () => ({
        method: "POST",
        path: importPath,
        headers: admin("text/csv"),
        body: function* () {
          yield Buffer.from("text,label\n");
          for (let bytes = 0; bytes <= IMPORT_BODY_LIMIT; bytes += longRow.length) yield longRow;
        },
      }),
    },
    {
      name: "import declaring a Content-Length over the byte cap",
      expected: [413],
      pauseMs: 1000,
      max: 60,
      request: () => ({
        method: "POST",
        path: importPath,
        headers: { ...admin("text/csv"), "content-length": IMPORT_BODY_LIMIT + 1 },
        body: function* () {
          yield Buffer.from(`text,label\n${ATTACK_MARK} declared,${t.label}\n`);
        },
      }),
    },
    { name: "route teacher, 1,000 inputs, predict key", expected: [403], pauseMs: 200, max: 300, request: () => ({ method: "POST", path: predictPath, headers: json(t.predictKey), body: forcedThousand }) },
    {
      name: `route teacher, ${METERED_BATCH} inputs, key with force_teacher and a small budget`,
      expected: [200, 429],
      pauseMs: 500,
      max: 120,
      request: () => ({ method: "POST", path: predictPath, headers: json(t.meteredKey), body: Buffer.from(JSON.stringify({ route: "teacher", inputs: meteredTexts() })) }),
    },
    { name: "batch of 1,000 × 5,000 characters", expected: [200], pauseMs: 1000, max: 60, request: () => ({ method: "POST", path: predictPath, headers: json(t.predictKey), body: hugeBatch }) },
    { name: `batch of 1,000 × ${overCharCap.toLocaleString("en-US")} characters (over MAX_BATCH_CHARS)`, expected: [413], pauseMs: 2000, max: 30, request: () => ({ method: "POST", path: predictPath, headers: json(t.predictKey), body: batchOverCap }) },
    {
      name: "anonymous: no key",
      expected: [401, 429],
      pauseMs: 2,
      max: 30_000,
      request: () => ({ method: "POST", path: predictPath, headers: json(null), body: smallPredict, localAddress: t.anonymousAddress, agent: agents.noKey }),
    },
    {
      name: "anonymous: made-up keys",
      expected: [401, 429],
      pauseMs: 2,
      max: 30_000,
      request: (i) => ({ method: "POST", path: predictPath, headers: json(madeUpKeys[i % madeUpKeys.length]), body: smallPredict, localAddress: t.anonymousAddress, agent: agents.wrongKey }),
    },
  ];
}

export class Attacker {
  readonly counts = new Map<string, AttackCounts>();
  /** Request ids of predictions acknowledged to the attacker: each must have its request-log row. */
  readonly ackedRequests: string[] = [];
  /** Examples acknowledged to the attacker (teacher answers to the metered key): each must be stored. */
  readonly ackedExamples: { task: string; text: string }[] = [];
  readonly #attacks: Attack[];
  readonly #target: AttackTarget;
  readonly #agents: FloodAgents = { noKey: new Agent({ keepAlive: true, maxSockets: 1 }), wrongKey: new Agent({ keepAlive: true, maxSockets: 1 }) };
  #meteredCounter = 0;

  constructor(target: AttackTarget) {
    this.#target = target;
    // Unique texts (a known text with a suffix), so that each acknowledged example can be found.
    const meteredTexts = () => Array.from({ length: METERED_BATCH }, () => `${target.texts[this.#meteredCounter % target.texts.length]} [a${this.#meteredCounter++}]`);
    this.#attacks = attacks(target, meteredTexts, this.#agents);
    for (const a of this.#attacks) this.counts.set(a.name, { expected: a.expected, by_status: {}, unexpected: 0 });
  }

  /** Runs every attack side by side until `stop()`, which resolves once the requests in flight are answered. */
  start(): { stop: () => Promise<void> } {
    let running = true;
    const loops = this.#attacks.map(async (a) => {
      for (let i = 0; running && i < a.max; i++) {
        await this.#attackOnce(a, i);
        if (running) await new Promise((resolve) => setTimeout(resolve, a.pauseMs));
      }
    });
    return {
      stop: async () => {
        running = false;
        await Promise.all(loops);
        // Idle keep-alive connections would outlive the gateway they were open to.
        for (const agent of Object.values(this.#agents)) agent.destroy();
      },
    };
  }

  async #attackOnce(a: Attack, i: number): Promise<void> {
    const counts = this.counts.get(a.name)!;
    let label: string;
    let unexpected: boolean;
    try {
      const reply = await attackRequest(this.#target.url, a.request(i));
      label = reply.status >= 400 ? `${reply.status} ${errorCode(reply.text) ?? "?"}` : String(reply.status);
      unexpected = reply.status >= 500 || !a.expected.includes(reply.status);
      if (reply.status === 200 || reply.status === 429) this.#keepAcknowledged(reply.status, reply.text);
    } catch (err) {
      label = `no reply: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      unexpected = true;
    }
    counts.by_status[label] = (counts.by_status[label] ?? 0) + 1;
    if (unexpected) counts.unexpected++;
  }

  /** Predictions in a 200 batch reply, or in a 429's details.results (answered before the budget ran out). */
  #keepAcknowledged(status: number, text: string): void {
    let predictions: Partial<PredictResult>[] | undefined;
    try {
      const body = JSON.parse(text) as { data?: Partial<PredictResult>[]; error?: { details?: { results?: Partial<PredictResult>[] } } };
      predictions = status === 200 ? body.data : body.error?.details?.results;
    } catch {
      return;
    }
    for (const p of predictions ?? []) {
      if (p.request_id !== undefined) this.ackedRequests.push(p.request_id);
      if (p.source === "teacher" && p.status === "ok" && p.input !== undefined) this.ackedExamples.push({ task: this.#target.task, text: p.input });
    }
  }

  /** Every attack's figures. */
  summary(): Record<string, AttackCounts> {
    return Object.fromEntries(this.counts);
  }
}
