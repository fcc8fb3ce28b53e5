// What an admin changes about a captured task beyond its mode (README "Capture"): its name, its
// fields' descriptions, merging it into another captured task, deleting it. Each keeps the task's
// calls where they belong: the fingerprints live in the definition's capture block, so they follow
// a rename or a merge; afterwards the Capture's fingerprint map is forgotten (read again from the
// store) and the runtimes concerned dropped, so the next call goes to the task as it now is — and
// never founds a new task under the old name.
import { StoreConflictError, StoreNotFoundError, type Store, type StoreRepositories } from "../../store/index.js";
import { TaskError } from "../../task/definition.js";
import { MAX_FINGERPRINTS } from "../../task/capture.js";
import { canonicalAnswer, parseCanonical } from "../../engine/structured-answer.js";
import { firstDifferenceInAnyOrder, firstFieldDifference } from "../../task/output-match.js";
import { isCapturedTask, isStructuredTask, outputFields, parseStructuredTask, type StructuredTask } from "../../task/structured.js";
import { badRequest, conflict, notFound } from "../http/errors.js";
import type { TaskRuntimes } from "../runtime/task-runtime.js";
import type { Capture } from "./capture.js";
import type { RequestLogMover } from "./request-log-mover.js";

export interface CapturedEditDeps {
  store: Store;
  runtimes: TaskRuntimes;
  /** Absent on a gateway without an upstream (it captures nothing, so has no map to forget). */
  capture?: Capture | undefined;
  /** Writes the request log's buffered rows, so that those of a renamed task move with it. */
  flush: () => Promise<void>;
  /** Moves the rest of a merged task's request log after the merge. */
  logMover: RequestLogMover;
}

type CapturedTask = StructuredTask & { capture: NonNullable<StructuredTask["capture"]> };

/**
 * The task's output block with these fields' descriptions set ("" removes one), kinds and values
 * untouched. 400 naming the field when the task has no such output field.
 */
export function withDescriptions(task: CapturedTask, descriptions: Readonly<Record<string, string>>): StructuredTask["output"] {
  const properties = { ...task.output.properties };
  for (const [field, text] of Object.entries(descriptions)) {
    const spec = Object.hasOwn(properties, field) ? properties[field] : undefined;
    if (typeof spec !== "object" || spec === null) throw badRequest(`descriptions.${field}: task "${task.name}" has no output field "${field}" (its fields: ${Object.keys(properties).join(", ")})`);
    const { description: _old, ...rest } = spec as Record<string, unknown>;
    properties[field] = text === "" ? rest : { ...rest, description: text };
  }
  const output = { ...task.output, properties };
  // Checked, not assumed: a description must never change what an answer is.
  const difference = firstFieldDifference(outputFields(task), outputFields(parseStructuredTask({ ...task, output })));
  if (difference !== null) throw badRequest(`descriptions would change the fields: ${difference}`);
  return output;
}

/** Captured tasks whose `follows` names `name` follow `to` instead (undefined: nothing), in `tx`. */
async function repointFollowers(tx: StoreRepositories, name: string, to: string | undefined): Promise<string[]> {
  const changed: string[] = [];
  for (const r of await tx.tasks.list()) {
    if (!isCapturedTask(r.definition) || r.definition.capture.follows !== name || r.name === to) continue;
    const { follows: _old, ...capture } = r.definition.capture;
    await tx.tasks.update(r.name, { ...r.definition, capture: to === undefined ? capture : { ...capture, follows: to } });
    changed.push(r.name);
  }
  return changed;
}

async function dropAll(runtimes: TaskRuntimes, names: readonly string[]): Promise<void> {
  for (const n of names) await runtimes.drop(n);
}

/** Renames a captured task with all its data. 409 if the name is taken, 404 if the task is gone. */
export async function renameCaptured(deps: CapturedEditDeps, from: string, to: string): Promise<void> {
  const { store, runtimes } = deps;
  await deps.flush();
  // Dropped first so a retrain under way finishes before the rows move; again after, for a call that loaded it meanwhile.
  await runtimes.drop(from);
  let followers: string[];
  try {
    followers = await store.transaction(async (tx) => {
      await tx.tasks.rename(from, to);
      return repointFollowers(tx, from, to);
    });
  } catch (err) {
    if (err instanceof StoreConflictError) throw conflict(`cannot rename "${from}" to "${to}": ${err.message}`);
    if (err instanceof StoreNotFoundError) throw notFound(err.message);
    if (err instanceof TaskError) throw badRequest(err.message);
    throw err;
  }
  await dropAll(runtimes, [from, to, ...followers]);
  deps.capture?.forget();
}

/** Deletes a captured task with its examples and model versions; the next call of its fingerprint founds it again, empty. */
export async function deleteCaptured(deps: CapturedEditDeps, name: string): Promise<void> {
  await deps.runtimes.drop(name);
  if (!(await deps.store.tasks.delete(name))) throw notFound(`no captured task "${name}"`);
  deps.capture?.forget();
}

export interface MergeResult {
  moved: number;
  kept_existing: number;
  /** Whether the moved examples' answers were rewritten in the target's field order. */
  rewritten: boolean;
  /** Rows of the merged task's request log now the target's. */
  requests_moved: number;
  /** Its older rows, past MERGE_MOVED_REQUESTS_MAX, still under its old name: they move after the merge (RequestLogMover), resumed by the next start if the gateway stops first. */
  requests_left: number;
}

/**
 * At most this many of the merged task's logged requests (its newest) move to the target in the
 * merge's transaction. The move is one UPDATE holding both tasks' write locks, and on SQLite the
 * whole database's, while a task's log may hold up to retention's row cap (1 M rows by default):
 * retention measured 2,000-row deletes at 35-48 ms on a SQLite log of 1.1 M rows, so 50,000
 * rows are about a second of other writers waiting, a million twenty. The older rows move after
 * the merge, in smaller batches (request-log-mover.ts).
 */
export const MERGE_MOVED_REQUESTS_MAX = 50_000;

/**
 * Merges captured task `name` into captured task `into`: its examples move (a text `into` has
 * already keeps `into`'s label; answers rewritten in `into`'s field order when the fields are
 * alike but listed otherwise), its newest logged requests move (MERGE_MOVED_REQUESTS_MAX), its
 * fingerprints join `into`'s, and it is deleted, all in one transaction; the rest of its request
 * log moves afterwards, in the background. A declared task is refused: its definition is an
 * operator's, and taking the app's calls over is for captured tasks only (README "Capture").
 */
export async function mergeCaptured(deps: CapturedEditDeps, source: CapturedTask, into: string): Promise<MergeResult> {
  const { store, runtimes } = deps;
  const name = source.name;
  if (into === name) throw badRequest(`"into" names the task itself ("${name}")`);
  const target = (await store.tasks.get(into))?.definition;
  if (target === undefined) throw notFound(`no task "${into}" to merge "${name}" into`);
  if (!isStructuredTask(target)) throw conflict(`cannot merge "${name}" into "${into}": "${into}" is a label task, and "${name}" answers with an object`);
  if (!isCapturedTask(target)) {
    throw conflict(`cannot merge "${name}" into "${into}": "${into}" was declared, not captured, and only captured tasks take over an app's calls; merge into a captured task, or delete "${name}" and send the app's calls with the header X-Apprentice-Task: ${into}`);
  }
  const difference = firstDifferenceInAnyOrder(outputFields(source), outputFields(target));
  if (difference !== null) throw conflict(`cannot merge "${name}" into "${into}": their answers differ: ${difference}`);

  await deps.flush();
  await dropAll(runtimes, [name, into]);
  // Its log ends here: a task founded later under the same name keeps its own rows.
  const loggedUntil = Date.now();
  let result: MergeResult & { followers: string[] };
  try {
    result = await store.transaction(async (tx) => {
      // Read again in the transaction: the definition to extend is the one being committed over.
      const current = (await tx.tasks.get(into))?.definition;
      if (current === undefined || !isCapturedTask(current)) throw new StoreNotFoundError(`no captured task "${into}"`);
      const targetFields = outputFields(current);
      const again = firstDifferenceInAnyOrder(outputFields(source), targetFields);
      if (again !== null) throw new StoreConflictError(`their answers differ: ${again}`);
      // Fields alike in another order: the stored answers are the same objects with their keys
      // in the source's order, written again as the target stores them (canonical JSON).
      const rewritten = firstFieldDifference(outputFields(source), targetFields) !== null;
      const relabel = rewritten ? (label: string) => canonicalAnswer(targetFields, parseCanonical(label)) : undefined;
      const counts = await tx.examples.moveAll(name, into, relabel);
      const requests = await tx.requests.moveNewest(name, into, MERGE_MOVED_REQUESTS_MAX, loggedUntil);
      if (requests.left > 0) await tx.requests.planMove({ from: name, into, notAfter: loggedUntil });
      const { follows, ...capture } = current.capture;
      const fingerprints = [...new Set([...capture.fingerprints, ...source.capture.fingerprints])];
      if (fingerprints.length > MAX_FINGERPRINTS) throw new StoreConflictError(`together they have ${fingerprints.length} fingerprints, over the limit of ${MAX_FINGERPRINTS}`);
      // A task that followed the merged one follows what that one followed (the chain of the app's changes).
      const nextFollows = follows === name ? (source.capture.follows === into ? undefined : source.capture.follows) : follows;
      const merged = { ...capture, fingerprints, ...(nextFollows === undefined ? {} : { follows: nextFollows }) };
      await tx.tasks.update(into, { ...current, capture: merged });
      const followers = await repointFollowers(tx, name, into);
      await tx.tasks.delete(name);
      return { ...counts, rewritten, requests_moved: requests.moved, requests_left: requests.left, followers };
    });
  } catch (err) {
    if (err instanceof StoreNotFoundError) throw notFound(err.message);
    if (err instanceof StoreConflictError) throw conflict(`cannot merge "${name}" into "${into}": ${err.message}`);
    throw err;
  }
  await dropAll(runtimes, [name, into, ...result.followers]);
  deps.capture?.forget();
  if (result.requests_left > 0) deps.logMover.start({ from: name, into, notAfter: loggedUntil });
  // The moved examples are new to the target: it retrains when they make a retrain due, as after any write.
  (await runtimes.get(into))?.scheduleRetrain();
  const { followers: _followers, ...merged } = result;
  return merged;
}
