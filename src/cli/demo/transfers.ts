// The demo's structured task, beside the banking one: examples/transfers-demo, money-transfer
// requests read into {intent, amount, currency, recipient, when}. Part of train.jsonl is the
// team's checked seed; the rest of it and all of test.jsonl are replayed as traffic. Its simulated
// teacher answers the gold objects of both files (right on DEFAULT_STRUCTURED_SIM_ACCURACY of
// them, wrong on the rest like an LLM would be: a value missed, a boundary off by a word, a choice
// confused) and any other text with a specialist trained on all of them, so that requests people
// type themselves get an answer too.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { readObjectDataset, type ObjectRecord } from "../../data/object-dataset.js";
import { canonicalAnswer, type StructuredObject } from "../../engine/structured-answer.js";
import type { StructuredSpecialist } from "../../engine/structured-specialist.js";
import { trainStructuredSpecialist } from "../../engine/structured-train.js";
import { DEFAULT_TEACHER, SIM_TEACHER } from "../../server/runtime/teachers.js";
import { knobsOf } from "../../task/definition.js";
import { compileOutput, type TaskOutputField } from "../../task/output-fields.js";
import { isStructuredTask, outputFields, type StructuredTask } from "../../task/structured.js";
import { loadAnyTaskFile } from "../../task/task-file.js";
import { structuredAnswerKey } from "../../teacher/sim-structured-key.js";
import { SimulatedTeacher } from "../../teacher/simulated-teacher.js";
import { structuredResponseFormat } from "../../teacher/structured-prompt.js";
import type { Teacher } from "../../teacher/types.js";
import { DEFAULT_STRUCTURED_SIM_ACCURACY } from "../simulate-structured.js";

export const TRANSFERS_DIR = fileURLToPath(new URL("../../../examples/transfers-demo/", import.meta.url));
/**
 * The first requests of train.jsonl (shuffled, all four intents) seed the task: enough for a first
 * specialist whose threshold passes, so it answers from the start. The next ones, mixed with
 * test.jsonl (people the seed never names), are the traffic.
 */
const SEED = 400;
const TRAFFIC_FROM_TRAIN = 150;
/**
 * Retrain every 100 new examples rather than the task file's 50 (sized for simulating the whole
 * 800-request stream): each structured retrain takes a few seconds in its fresh worker thread,
 * and one during the 300-request replay shows the specialist retrained on the teacher's answers.
 */
const RETRAIN_EVERY = 100;

/** A request with its gold answer as the cascade compares it: the object's canonical JSON. */
export interface GoldObject {
  text: string;
  label: string;
}

export interface TransfersData {
  task: StructuredTask;
  fields: TaskOutputField[];
  seed: GoldObject[];
  traffic: GoldObject[];
  /** Every gold object of both files, train.jsonl's first: what the simulated teacher knows. */
  gold: ObjectRecord[];
  /** How many of `gold` are train.jsonl's. */
  trainCount: number;
}

async function objects(file: string, fields: readonly TaskOutputField[]): Promise<ObjectRecord[]> {
  const path = `${TRANSFERS_DIR}${file}`;
  return readObjectDataset(await readFile(path, "utf8"), fields, { source: path }).examples;
}

const asGold = (records: readonly ObjectRecord[]): GoldObject[] => records.map((r) => ({ text: r.text, label: r.answer }));

/** a1, b1, a2, b2, …: requests the seed resembles and requests naming people it never saw arrive mixed, as they would. */
function interleave<T>(a: readonly T[], b: readonly T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...(i < a.length ? [a[i]] : []), ...(i < b.length ? [b[i]] : []));
  return out;
}

export async function loadTransfersData(useOpenAI: boolean): Promise<TransfersData> {
  const file = await loadAnyTaskFile(`${TRANSFERS_DIR}task.yaml`);
  if (!isStructuredTask(file)) throw new Error(`${TRANSFERS_DIR}task.yaml is not a structured task`);
  const task: StructuredTask = { ...file, training: { ...file.training, retrain_every: RETRAIN_EVERY }, teacher: { ...knobsOf(file), name: useOpenAI ? DEFAULT_TEACHER : SIM_TEACHER } };
  const fields = outputFields(task);
  const train = await objects("train.jsonl", fields);
  const test = await objects("test.jsonl", fields);
  return { task, fields, seed: asGold(train.slice(0, SEED)), traffic: interleave(asGold(train.slice(SEED, SEED + TRAFFIC_FROM_TRAIN)), asGold(test)), gold: [...train, ...test], trainCount: train.length };
}

/**
 * The simulated structured teacher. The specialist for other texts is trained the first time one
 * is asked (about half a second, once): the replay asks only about gold texts.
 */
export function transfersTeacher(data: TransfersData, accuracy = DEFAULT_STRUCTURED_SIM_ACCURACY): Teacher {
  const gold = data.gold.map((r) => ({ text: r.text, object: r.object }));
  const key = structuredAnswerKey({ fields: data.fields, gold, accuracy, seed: data.task.training.seed });
  let reference: StructuredSpecialist | null = null;
  return new SimulatedTeacher({
    key,
    otherwise: (text) => {
      reference ??= trainStructuredSpecialist(data.fields, gold, { classifier: { seed: 7 } });
      return reference.predict(text).label;
    },
  });
}

/**
 * The response_format an application sends for the task's object, as OpenAI's strict structured
 * outputs want it: the app's own schema, the output block as written (no "none of these", which
 * only the gateway's teacher is offered).
 */
export function transfersResponseFormat(data: Pick<TransfersData, "task">) {
  return structuredResponseFormat(compileOutput(data.task.output), data.task.name.replace(/[^A-Za-z0-9_-]/g, "_"));
}

/** A reply's message content as the canonical answer it stands for (null when it is not the task's object). */
export function canonicalContent(fields: readonly TaskOutputField[], content: string | null | undefined): string | null {
  if (typeof content !== "string") return null;
  try {
    const object = JSON.parse(content) as unknown;
    if (typeof object !== "object" || object === null || Array.isArray(object)) return null;
    return canonicalAnswer(fields, object as StructuredObject);
  } catch {
    return null;
  }
}
