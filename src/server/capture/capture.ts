// Capture (README "Capture"): chat completions forwarded to the upstream LLM that ask for a
// structured answer become captured tasks, learned from the upstream's own answers.
//
// A call of a task in `shadow` mode (where every captured task starts) is relayed at once and
// unchanged; once the app has the whole reply, the answer is read from the relayed bytes and
// handed to the task's cascade as its teacher's answer, with the specialist's would-be answer
// logged beside it. A call of a task in `serve` mode goes through the cascade first: the
// specialist answers where the threshold allows (the reply keeps the OpenAI shape the app asked
// for), and otherwise the call is relayed as in shadow mode, the upstream's answer being the
// teacher's. Calls of a task in `off` mode, of excluded keys or models, and calls that ask for no
// structured answer pass through untouched. Nothing here can fail a relayed call: what goes wrong
// after the relay is logged and counted, never sent to the app.
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
import type { AskTeacher } from "../../cascade/cascade.js";
import { clopperPearsonUpper } from "../../cascade/binomial.js";
import { parseCanonical } from "../../engine/structured-answer.js";
import { StoreConflictError, type Store } from "../../store/index.js";
import { isCapturedTask, isStructuredTask, outputFields, type AnyTask, type StructuredTask } from "../../task/structured.js";
import type { CaptureMode } from "../../task/capture.js";
import { parseStructuredAnswer } from "../../teacher/structured-parse.js";
import { parseLabel } from "../../teacher/parse.js";
import { answerLabels } from "../../task/definition.js";
import { truncateRaw, type TeacherAnswer } from "../../teacher/types.js";
import type { GatewayMetrics } from "../operations/metrics.js";
import { apprenticeField, completionBody, roughUsage, streamCompletion, wantsUsage } from "../openai/completion.js";
import { contentText } from "../openai/chat-request.js";
import type { RelayedReply, Upstream } from "../openai/upstream.js";
import { answerOne } from "../runtime/predict.js";
import type { RequestLogger } from "../runtime/request-log-buffer.js";
import type { RequestCaller } from "../runtime/teacher-budget.js";
import type { TaskRuntime, TaskRuntimes } from "../runtime/task-runtime.js";
import { readCapturedCall, TASK_HEADER, type CapturedCall } from "./captured-call.js";
import { capturedTaskDefinition, capturedTaskName } from "./captured-task.js";
import { readUpstreamReply } from "./upstream-reply.js";
import { changeCapturedTask } from "./capture-mode.js";
import { DEFAULT_AUTO_SERVE_REQUESTS, type CaptureSettings } from "./capture-settings.js";
import { LearnBudget } from "./learn-budget.js";

export interface CaptureDeps {
  store: Store;
  runtimes: TaskRuntimes;
  upstream: Upstream;
  log: RequestLogger;
  settings: CaptureSettings;
  metrics?: GatewayMetrics | undefined;
  logger?: FastifyBaseLogger | undefined;
}

/** Tasks whose shed calls are counted, at most (a header may name any task). */
const MAX_SHED_COUNTS = 1000;
/** How often (captured calls of one task) shadow mode's figures are read to see whether auto_serve may switch it. */
const AUTO_SERVE_CHECK_EVERY = 25;
/** Fingerprints remembered as refused (their schema cannot be a task), bounded. */
const MAX_REFUSED = 1000;
/** Fingerprints of calls with earlier turns seen once and no task yet, bounded. */
const MAX_TURNS_SEEN = 10_000;

type Body = Record<string, unknown>;

/** A relayed shadow call, waiting to be learned. */
interface WaitingCall {
  call: CapturedCall;
  relayed: RelayedReply;
  id: string;
  caller: RequestCaller;
}

export class Capture {
  readonly #deps: CaptureDeps;
  /** Fingerprint → task name, for every captured task (filled from the store on first use). */
  #tasks: Map<string, string> | null = null;
  #loading: Promise<Map<string, string>> | null = null;
  /** Tasks being created, by fingerprint: concurrent first calls create one. */
  readonly #creating = new Map<string, Promise<string | null>>();
  /** Fingerprints whose schema cannot be a task, and why. */
  readonly #refused = new Map<string, string>();
  /**
   * Calls with turns before their last user message found a task only when a second call repeats
   * them: few-shot examples written as messages do, a conversation's history does not, and a
   * specialist reading the last message alone cannot stand for a call whose answer depends on a
   * history that varies.
   */
  readonly #turnsSeen = new Set<string>();
  readonly #sinceCheck = new Map<string, number>();
  /**
   * Shadow calls relayed and not yet learned, oldest first, and the size of their replies. At most
   * settings.learn_queue of them wait: past it, a call's reply still goes to the app at once but
   * is not learned (shed, counted). Learning takes one call a turn of the event loop, after the
   * I/O that turn brought, and only as much of the loop as #budget allows, so relaying comes
   * first: an idle gateway learns every call within a turn or two, a saturated one learns a
   * sample of them instead of slowing every relay.
   */
  #waiting: WaitingCall[] = [];
  #waitingBytes = 0;
  #draining: Promise<void> | null = null;
  readonly #budget: LearnBudget;
  /** Calls shed since this instance started, by task. */
  readonly #shed = new Map<string, number>();

  constructor(deps: CaptureDeps) {
    this.#deps = deps;
    this.#budget = new LearnBudget(deps.settings.learn_share);
  }

  /** Forgets what it knows of tasks (after one was renamed, merged or deleted): the next call reads the store again. */
  forget(): void {
    this.#tasks = null;
    this.#loading = null;
  }

  /** Forwards a chat completion for a non-task model, capturing it when it belongs to a captured task. */
  async chat(body: Body, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | object> {
    const { upstream, metrics } = this.#deps;
    const relay = () => upstream.forward(body, reply, { metrics });
    if (!this.#captures(request, body.model)) return relay();
    const reading = readCapturedCall(body, request.headers[TASK_HEADER]);
    if (reading === null) return relay();
    if ("skip" in reading) {
      metrics?.captureSkipped.inc({ reason: reading.skip });
      return relay();
    }
    const call = reading.call;
    const caller: RequestCaller = { key: request.apiKey, via: "capture" };
    let name = (await this.#known()).get(call.fingerprint);
    let rt = name === undefined ? null : await this.#deps.runtimes.get(name);
    if (name !== undefined && rt === null) {
      // Its task was renamed, merged or deleted (maybe by another instance): the store says where its calls go now.
      this.forget();
      name = (await this.#known()).get(call.fingerprint);
      rt = name === undefined ? null : await this.#deps.runtimes.get(name);
    }
    if (name === undefined && call.header !== null) {
      name = call.header;
      rt = await this.#deps.runtimes.get(name);
    }
    if (name === undefined && call.earlierTurns > 0 && !this.#seenBefore(call.fingerprint)) {
      metrics?.captureSkipped.inc({ reason: "unrepeated_turns" });
      return relay();
    }
    const mode = rt === null ? "shadow" : modeOf(rt.task);
    if (mode === "off") return relay();
    if (mode === "serve" && rt !== null) return this.#serve(rt, call, body, request, reply, caller);
    // A full queue sheds the call before it is relayed: no copy of its reply is kept to be dropped.
    if (this.#queueFull(0)) {
      this.#shedOne(call);
      return relay();
    }
    return upstream.forward(body, reply, { metrics, tap: (relayed) => this.#enqueue({ call, relayed, id: request.id, caller }) });
  }

  /** Whether a call with this fingerprint came before; remembers it otherwise. */
  #seenBefore(fingerprint: string): boolean {
    if (this.#turnsSeen.has(fingerprint)) return true;
    if (this.#turnsSeen.size >= MAX_TURNS_SEEN) this.#turnsSeen.delete(this.#turnsSeen.values().next().value!);
    this.#turnsSeen.add(fingerprint);
    return false;
  }

  /** Resolves once every relayed shadow call has been learned (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.#draining !== null) await this.#draining;
  }

  /** Calls of `task` this instance relayed without learning them, since it started. */
  shedCalls(task: string): number {
    return this.#shed.get(task) ?? 0;
  }

  #enqueue(waiting: WaitingCall): void {
    const bytes = waiting.relayed.body?.length ?? 0;
    if (this.#queueFull(bytes)) {
      this.#shedOne(waiting.call);
      return;
    }
    this.#waiting.push(waiting);
    this.#waitingBytes += bytes;
    this.#draining ??= this.#drain();
  }

  /** Whether the learn queue has no room for one more call of `bytes`. */
  #queueFull(bytes: number): boolean {
    const limit = this.#deps.settings.learn_queue;
    return this.#waiting.length >= limit.calls || this.#waitingBytes + bytes > limit.megabytes * 1024 * 1024;
  }

  #learnWait(): number {
    return this.#budget.wait(this.#deps.upstream.load.inFlight > 0);
  }

  #shedOne(call: CapturedCall): void {
    this.#deps.metrics?.captured.inc({ mode: "shadow", status: "shed" });
    const task = this.#tasks?.get(call.fingerprint) ?? call.header;
    if (task !== null && (this.#shed.has(task) || this.#shed.size < MAX_SHED_COUNTS)) this.#shed.set(task, this.shedCalls(task) + 1);
  }

  async #drain(): Promise<void> {
    while (this.#waiting.length > 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (let wait = this.#learnWait(); wait > 0; wait = this.#learnWait()) await new Promise<void>((resolve) => setTimeout(resolve, wait));
      const next = this.#waiting.shift()!;
      this.#waitingBytes -= next.relayed.body?.length ?? 0;
      const started = performance.now();
      await this.#shadow(next.call, next.relayed, next.id, next.caller);
      this.#budget.spend(performance.now() - started);
    }
    // Cleared in the same step as the last check, so a call queued after it starts a new drain.
    this.#draining = null;
  }

  #captures(request: FastifyRequest, model: unknown): boolean {
    const { settings } = this.#deps;
    if (typeof model !== "string") return false;
    if (settings.models !== undefined && !settings.models.includes(model)) return false;
    if (settings.exclude_models.includes(model)) return false;
    const key = request.apiKey;
    return key === null || !settings.exclude_keys.includes(key.name);
  }

  /** A shadow call, after its reply went to the app: the task learns the upstream's answer. */
  async #shadow(call: CapturedCall, relayed: RelayedReply, id: string, caller: RequestCaller): Promise<void> {
    try {
      const known = (await this.#known()).has(call.fingerprint);
      let rt = await this.#runtimeOf(call);
      if (rt === null && known) {
        // Its task was renamed, merged or deleted since: read the store again, where the call
        // finds the task its fingerprint went to, or founds its own again (a deletion).
        this.forget();
        rt = await this.#runtimeOf(call);
      }
      if (rt === null) return;
      const answer = this.#answerOf(relayed, call, rt.task);
      const ask: AskTeacher = async () => answer;
      const { row } = await answerOne(rt, call.input, id, { metrics: this.#deps.metrics, caller, ask, shadow: true });
      await this.#deps.log.log(row);
      this.#deps.metrics?.captured.inc({ mode: "shadow", status: answer.status });
      await this.#maybeAutoServe(rt);
    } catch (err) {
      this.#deps.logger?.error({ err, fingerprint: call.fingerprint }, "could not learn from a captured call");
    }
  }

  /** A call of a task in serve mode: the cascade decides; the upstream answers (relayed) where the specialist may not. */
  async #serve(rt: TaskRuntime, call: CapturedCall, body: Body, request: FastifyRequest, reply: FastifyReply, caller: RequestCaller): Promise<FastifyReply | object> {
    const { upstream, metrics } = this.#deps;
    const task = rt.task as StructuredTask;
    let relayError: unknown = null;
    const ask: AskTeacher = async (_text, purpose) => {
      if (purpose === "audit") {
        // The app gets the specialist's answer; the upstream is asked on the side, its reply kept here.
        const { status, text } = await upstream.call({ ...body, stream: false, stream_options: undefined }, metrics);
        return this.#answerOf({ status, streamed: false, body: text }, call, task);
      }
      let tapped!: (r: RelayedReply) => void;
      const relayed = new Promise<RelayedReply>((resolve) => (tapped = resolve));
      try {
        await upstream.forward(body, reply, { metrics, tap: tapped });
      } catch (err) {
        relayError = err;
        return this.#answerOf({ status: 0, streamed: false, body: null }, call, task);
      }
      return this.#answerOf(await relayed, call, task);
    };
    const { result, row, answer } = await answerOne(rt, call.input, request.id, { metrics, caller, ask });
    await this.#deps.log.log(row);
    metrics?.captured.inc({ mode: "serve", status: answer.teacher?.status ?? "specialist" });
    if (relayError !== null) throw relayError;
    if (result.source !== "specialist" || result.label === null) return reply;
    const content = JSON.stringify(parseCanonical(result.label));
    const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
    const parts = {
      id: `chatcmpl-${result.request_id}`,
      requestId: result.request_id,
      model: call.model,
      content,
      ...(call.via === "tool" ? { tool: { name: call.schemaName ?? "answer" } } : {}),
      usage: roughUsage(messages, content, contentText),
      apprentice: apprenticeField(result),
    };
    if (body.stream === true) return streamCompletion(reply, parts, wantsUsage(body));
    return reply.send(completionBody(parts));
  }

  /**
   * The upstream's answer to a captured call as a teacher's answer: checked against the task's
   * fields like any teacher's, or, for a label task the header names, read as one of its answers
   * (tolerantly, as a teacher's reply is: a near-miss is invalid, never the closest label).
   */
  #answerOf(relayed: RelayedReply, call: CapturedCall, task: AnyTask): TeacherAnswer {
    const price = this.#deps.settings.prices[call.model];
    const base = { usage: { input_tokens: 0, output_tokens: 0 }, cost: 0, latency_ms: 0, attempts: 1 };
    if (relayed.status === 0 || relayed.status >= 400) return { ...base, label: null, status: "error", reason: relayed.status === 0 ? "the upstream LLM gave no reply" : `the upstream LLM answered HTTP ${relayed.status}` };
    if (relayed.body === null) return { ...base, label: null, status: "error", reason: "the reply was broken off or too large to capture" };
    const read = readUpstreamReply(relayed.body, relayed.streamed, call.via);
    if (read.usage !== undefined) {
      base.usage = { input_tokens: read.usage.prompt_tokens, output_tokens: read.usage.completion_tokens };
      if (price !== undefined) base.cost = (read.usage.prompt_tokens * price.input_per_mtok + read.usage.completion_tokens * price.output_per_mtok) / 1e6;
    }
    if (read.json === null) return { ...base, label: null, status: "invalid", reason: read.problem ?? "no answer" };
    const parsed = isStructuredTask(task) ? parseStructuredAnswer(read.json, call.input, outputFields(task)) : parseLabel(read.json, answerLabels(task));
    if ("invalid" in parsed) return { ...base, label: null, status: "invalid", reason: parsed.invalid, raw: truncateRaw(read.json) };
    return { ...base, label: parsed.label, status: "ok", raw: truncateRaw(read.json) };
  }

  /** Fingerprint → task name of every captured task, read from the store once. */
  async #known(): Promise<Map<string, string>> {
    if (this.#tasks !== null) return this.#tasks;
    this.#loading ??= this.#deps.store.tasks.list().then((records) => {
      const map = new Map<string, string>();
      for (const r of records) if (isCapturedTask(r.definition)) for (const fp of r.definition.capture.fingerprints) map.set(fp, r.name);
      this.#tasks = map;
      return map;
    });
    return this.#loading;
  }

  async #runtimeOf(call: CapturedCall): Promise<TaskRuntime | null> {
    const name = await this.#taskOf(call);
    return name === null ? null : this.#deps.runtimes.get(name);
  }

  /** The task of a captured call, created on its first call (null: it cannot have one). */
  async #taskOf(call: CapturedCall): Promise<string | null> {
    const known = (await this.#known()).get(call.fingerprint);
    if (known !== undefined) return known;
    if (call.header !== null && (await this.#deps.store.tasks.get(call.header)) !== null) return call.header;
    if (this.#refused.has(call.fingerprint)) return null;
    let creating = this.#creating.get(call.fingerprint);
    if (creating === undefined) {
      creating = this.#create(call).finally(() => this.#creating.delete(call.fingerprint));
      this.#creating.set(call.fingerprint, creating);
    }
    return creating;
  }

  async #create(call: CapturedCall): Promise<string | null> {
    const { store, settings, metrics, logger } = this.#deps;
    const refuse = (reason: string, problem: string): null => {
      metrics?.captureSkipped.inc({ reason });
      if (this.#refused.size >= MAX_REFUSED) this.#refused.delete(this.#refused.keys().next().value!);
      this.#refused.set(call.fingerprint, problem);
      logger?.warn({ fingerprint: call.fingerprint, model: call.model, problem }, "a captured call cannot found a task");
      return null;
    };
    const name = capturedTaskName(call);
    const existing = await store.tasks.get(name);
    if (existing !== null) return this.#remember(call.fingerprint, name);
    if (call.schema === null) return refuse("no_schema", `the X-Apprentice-Task header names "${name}", which does not exist, and the call gives no schema to found it with`);
    const records = await store.tasks.list();
    const captured = records.filter((r) => isCapturedTask(r.definition));
    // A task renamed or merged by another instance since this one read the store has the fingerprint under another name.
    const moved = captured.find((r) => isCapturedTask(r.definition) && r.definition.capture.fingerprints.includes(call.fingerprint));
    if (moved !== undefined) return this.#remember(call.fingerprint, moved.name);
    if (captured.length >= settings.max_tasks) {
      metrics?.captureSkipped.inc({ reason: "task_limit" });
      return null;
    }
    // The latest task of the same model and schema name: the app changed its prompt or schema.
    const follows = captured
      .filter((r) => isCapturedTask(r.definition) && r.definition.capture.model === call.model && r.definition.capture.schema_name === call.schemaName)
      .sort((a, b) => b.created_at - a.created_at)[0]?.name;
    const definition = capturedTaskDefinition({ ...call, schema: call.schema }, settings, follows);
    if ("problem" in definition) return refuse("unsupported_schema", definition.problem);
    try {
      await store.tasks.create(definition);
      logger?.info({ task: name, model: call.model, follows }, "captured a new task from forwarded calls");
    } catch (err) {
      // Another instance created it first: the name is the fingerprint's, so it is the same task.
      if (!(err instanceof StoreConflictError)) throw err;
    }
    return this.#remember(call.fingerprint, name);
  }

  #remember(fingerprint: string, name: string): string {
    this.#tasks?.set(fingerprint, name);
    return name;
  }

  /**
   * auto_serve: every AUTO_SERVE_CHECK_EVERY captured calls, the live version's evidence is read;
   * once `min_requests` of its would-be answers were judged against the upstream's and their
   * disagreement is proven within the task's max_error, the task switches to serve. Two kinds of
   * judged would-be answers count, both calls the version never trained on: the held-out calls its
   * threshold covers (the threshold is proven on exactly them, at the task's confidence level), and
   * the shadow calls it saw live. Shadow calls alone started over with every version, so a task
   * retrained every hundred calls rarely got there.
   */
  async #maybeAutoServe(rt: TaskRuntime): Promise<void> {
    const task = rt.task;
    if (!isCapturedTask(task) || task.capture.mode !== "shadow") return;
    const gateway = this.#deps.settings.auto_serve;
    const own = task.capture.auto_serve;
    const minRequests = own === false ? null : gateway !== false ? gateway.min_requests : own === true ? DEFAULT_AUTO_SERVE_REQUESTS : null;
    if (minRequests === null || rt.modelVersion === 0) return;
    const n = (this.#sinceCheck.get(task.name) ?? 0) + 1;
    this.#sinceCheck.set(task.name, n % AUTO_SERVE_CHECK_EVERY);
    if (n < AUTO_SERVE_CHECK_EVERY) return;
    const held = rt.cascade.thresholdChoice;
    if (held !== null && held.threshold !== null && held.covered >= minRequests) {
      return this.#switchToServe(task.name, { on: "held-out calls", judged: held.covered, disagreements: held.errors, bound: held.upperBound });
    }
    const stats = await this.#deps.store.requests.shadowStats(task.name, { version: rt.modelVersion });
    const { max_error, confidence_level } = task.routing;
    if (stats.would_answer_judged < minRequests) return;
    const bound = clopperPearsonUpper(stats.disagreements, stats.would_answer_judged, confidence_level);
    if (bound > max_error) return;
    await this.#switchToServe(task.name, { on: "shadow calls", judged: stats.would_answer_judged, disagreements: stats.disagreements, bound });
  }

  async #switchToServe(name: string, evidence: { on: string; judged: number; disagreements: number; bound: number }): Promise<void> {
    await changeCapturedTask(this.#deps.store, this.#deps.runtimes, name, { mode: "serve" });
    this.#deps.logger?.info({ task: name, ...evidence }, "auto_serve: the captured task's bound is proven on calls its live version never trained on; it now serves");
  }
}

function modeOf(task: AnyTask): CaptureMode {
  // A task named by the header but declared by an operator only ever learns: taking over is for captured tasks.
  return isCapturedTask(task) ? task.capture.mode : "shadow";
}
