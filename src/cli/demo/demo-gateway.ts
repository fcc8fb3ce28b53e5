// The demo's gateway: a fresh SQLite database, an admin and a predict key, the bundled
// banking-demo task with half of its training messages as the team's labelled seed, and a first
// specialist trained on them; beside it the structured transfers-demo task, seeded and trained the
// same way (see transfers.ts). The teacher is the OpenAI-compatible endpoint in the environment
// when one is set (OPENAI_BASE_URL / OPENAI_API_KEY, and OPENAI_MODEL to pick the model: the
// gateway's "default" teacher), else the simulated one, which only the demo and tests may enable: it knows the labels of the bundled messages (right on
// 90% of them, wrong on the rest like an LLM would be) and answers any other text with a model
// trained on all of them, so that messages people type themselves get an answer too (the
// transfers task's simulated teacher is keyed the same way on its gold objects).
import { mkdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadDatasetFile } from "../../data/dataset-file.js";
import type { Example } from "../../data/dataset.js";
import { trainClassifier } from "../../engine/train.js";
import { startGateway, type Gateway } from "../../server/start.js";
import { openStore, type Store } from "../../store/index.js";
import { knobsOf, labelNames, type Task } from "../../task/definition.js";
import { loadTaskFile } from "../../task/task-file.js";
import { DEFAULT_TEACHER, SIM_TEACHER } from "../../server/runtime/teachers.js";
import { isStructuredTask } from "../../task/structured.js";
import { SimulatedTeacher, type Teacher } from "../../teacher/index.js";
import { loadTransfersData, transfersTeacher, type TransfersData } from "./transfers.js";

export const DEMO_DIR = fileURLToPath(new URL("../../../examples/banking-demo/", import.meta.url));
export const DEMO_DB = ".apprentice/demo.db";
/** Seed examples per label; the rest of train.csv and all of test.csv are replayed as traffic. */
const SEED_PER_LABEL = 20;
const SIM_ACCURACY = 0.9;

export interface DemoData {
  task: Task;
  seed: LabelledText[];
  /** Messages replayed as live traffic, with their true labels (to report accuracy). */
  traffic: LabelledText[];
}

export interface LabelledText {
  text: string;
  label: string;
}

export interface DemoGateway {
  gateway: Gateway;
  data: DemoData;
  /** The structured task served beside the banking one. */
  transfers: TransfersData;
  adminKey: string;
  predictKey: string;
  teacher: "openai" | "sim";
}

const labelled = (examples: Example[]): LabelledText[] => examples.map((e) => ({ text: e.text, label: e.label! }));

export async function loadDemoData(useOpenAI: boolean): Promise<DemoData> {
  const file = await loadTaskFile(`${DEMO_DIR}task.json`);
  const task: Task = { ...file, teacher: { ...knobsOf(file), name: useOpenAI ? DEFAULT_TEACHER : SIM_TEACHER } };
  const train = labelled((await loadDatasetFile(`${DEMO_DIR}train.csv`)).examples);
  const test = labelled((await loadDatasetFile(`${DEMO_DIR}test.csv`)).examples);
  const seen = new Map<string, number>();
  const seed: LabelledText[] = [];
  const rest: LabelledText[] = [];
  for (const e of train) {
    const n = seen.get(e.label) ?? 0;
    seen.set(e.label, n + 1);
    (n < SEED_PER_LABEL ? seed : rest).push(e);
  }
  return { task, seed, traffic: [...rest, ...test] };
}

function simulatedTeacher(data: DemoData): Teacher {
  const gold = [...data.seed, ...data.traffic];
  const reference = trainClassifier(gold, { seed: 7 });
  return new SimulatedTeacher({ labels: labelNames(data.task), gold, accuracy: SIM_ACCURACY, seed: 7, otherwise: (text) => reference.predict(text).label });
}

/** Whether the environment names a real OpenAI-compatible teacher. */
export function openAIConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OPENAI_API_KEY || env.OPENAI_BASE_URL);
}

/** The demo's own database, made afresh so every run tells the same story, with an admin and a predict key. */
export async function freshDemoStore(db: string): Promise<{ store: Store; adminKey: string; predictKey: string }> {
  await mkdir(dirname(db), { recursive: true });
  for (const suffix of ["", "-wal", "-shm"]) await rm(db + suffix, { force: true });
  const store = await openStore(db);
  const adminKey = (await store.apiKeys.create("demo admin", "admin")).key;
  const predictKey = (await store.apiKeys.create("demo app", "predict")).key;
  return { store, adminKey, predictKey };
}

/** Where and how a demo's gateway listens, quietly; `handleSignals: false` leaves SIGINT/SIGTERM alone (for tests that start a demo in-process). */
export function demoServerOptions(store: Store, options: { port: number; host: string; handleSignals?: boolean }) {
  return { store, port: options.port, host: options.host, logger: false as const, handleSignals: options.handleSignals };
}

export async function startDemoGateway(options: { port: number; host: string; db: string; handleSignals?: boolean }): Promise<DemoGateway> {
  const useOpenAI = openAIConfigured();
  const [data, transfers] = await Promise.all([loadDemoData(useOpenAI), loadTransfersData(useOpenAI)]);
  const { store, adminKey, predictKey } = await freshDemoStore(options.db);
  const sim = useOpenAI ? null : { labels: simulatedTeacher(data), structured: transfersTeacher(transfers) };
  const gateway = await startGateway({
    ...demoServerOptions(store, options),
    ...(sim === null ? {} : { simulatedTeacher: (task) => (isStructuredTask(task) ? sim.structured : sim.labels) }),
  });
  // Both tasks seeded and trained side by side (each retrain trains in a worker thread).
  const seeded = async (task: DemoData["task"] | TransfersData["task"], seed: LabelledText[]) => {
    await store.tasks.create(task);
    const rt = await gateway.app.runtimes.get(task.name);
    await rt!.addHumanLabels(seed, "human");
    await rt!.retrainNow();
  };
  await Promise.all([seeded(data.task, data.seed), seeded(transfers.task, transfers.seed)]);
  return { gateway, data, transfers, adminKey, predictKey, teacher: useOpenAI ? "openai" : "sim" };
}
