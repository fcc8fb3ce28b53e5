// The gateway's JSON shapes the dashboard reads. Where the server declares a reply's type, it is
// imported from there (type-only: nothing from src/ reaches the bundle), so the two cannot drift.
import type { CascadeStats, RetrainReport } from "../../../src/cascade/cascade.js";
import type { RouteReason } from "../../../src/cascade/router.js";
import type { ExampleView } from "../../../src/server/routes/example-page.js";
import type { ImportReply } from "../../../src/server/routes/examples.js";
import type { AnswerAudit, AuditSummary, TaskStats as ServerTaskStats } from "../../../src/server/runtime/task-stats.js";
import type { BudgetWindowUse } from "../../../src/server/runtime/teacher-budget.js";
import type { LoggedRequest } from "../../../src/server/routes/requests.js";
import type { ApiKeyRecord } from "../../../src/store/api-keys.js";
import type { ExampleChanges as StoreExampleChanges } from "../../../src/store/examples.js";
import type { TeacherBudget } from "../../../src/task/definition.js";
import type { OutputSpec } from "../../../src/task/output-fields.js";
import type { StructuredModelReport } from "../../../src/server/runtime/structured-report.js";
import type { PredictResult } from "../../../src/server/runtime/predict.js";
import type { StructuredObject } from "../../../src/engine/structured-answer.js";
import type { DiscoveredTask, ShadowSummary } from "../../../src/server/capture/discovered.js";
import type { CaptureBlock, CaptureMode } from "../../../src/task/capture.js";

export type { AnswerAudit, AuditSummary, CascadeStats, ImportReply, RouteReason, OutputSpec, PredictResult, StructuredObject };
/** GET /v1/captured: tasks the gateway found in the calls it forwards to the upstream LLM. */
export type { CaptureMode, DiscoveredTask, ShadowSummary };
/** PATCH /v1/captured/:name. */
export interface CaptureChange {
  mode?: CaptureMode;
  auto_serve?: boolean;
}
/** PATCH /v1/captured/:name: a new name, output field → description, the task's description ("" removes one). */
export interface CapturedTaskEdit {
  name?: string;
  descriptions?: Record<string, string>;
  description?: string;
}
/** POST /v1/captured/:name/merge: what moved, and the target after the merge. */
export interface CapturedTaskMerged {
  merged: string;
  into: string;
  moved: number;
  kept_existing: number;
  task: DiscoveredTask;
}
export type AuditStatus = AuditSummary["status"];
export type DailyStats = ServerTaskStats["daily"][number];
/** GET /v1/tasks/:name/stats: the log's figures plus what the gateway serves. */
export type TaskStats = ServerTaskStats & { model_version: number | null; examples: number; budget?: { windows: BudgetWindowUse[] } | null };
// Other shapes: only the fields the dashboard uses are typed; the API may send more.

export interface TaskLabel {
  name: string;
  description?: string;
  answer?: string;
}

export interface RoutingSettings {
  max_error: number;
  confidence_level: number;
  audit_rate: number;
  out_of_scope_max: number;
}

export interface TrainingSettings {
  retrain_every: number;
  min_examples: number;
  holdout_fraction: number;
  seed: number;
}

export interface TaskDefinition {
  name: string;
  description?: string;
  instructions: string;
  /** A label task's labels; absent from a structured task. */
  labels?: TaskLabel[];
  /** A structured task's output block (see web/src/lib/structured.ts); absent from a label task. */
  output?: OutputSpec;
  out_of_scope_label?: string;
  routing: RoutingSettings;
  training: TrainingSettings;
  privacy: "keep_inputs" | "hash_inputs";
  /** `name`: the declared teacher; provider and model only in tasks stored before teachers were declared. */
  teacher: { name?: string; provider?: string; model?: string };
  /** A captured task's call (its teacher is the upstream LLM the app calls). */
  capture?: CaptureBlock;
}

export interface TaskRecord {
  name: string;
  definition: TaskDefinition;
  created_at: number;
  updated_at: number;
}

export interface TaskDetail extends TaskRecord {
  /** The answer meaning "none of these": the task's out_of_scope_label, else none_of_these; for a structured task, the value a choice field takes for it (none_of_these), null when no field offers it (a captured task). */
  none_label: string | null;
  model_version: number | null;
  /** The live runtime's figures: what the router uses now (its threshold, the holdout's size). */
  cascade: CascadeStats | null;
}

export type Bucket = "minute" | "hour" | "day";

export interface TrafficPoint {
  start: number;
  requests: number;
  specialist: number;
  teacher: number;
  none: number;
  /** Requests answered "none of these" (absent from gateways before it was counted). */
  none_of_these?: number;
  cost: number;
  cost_saved: number | null;
}

export interface Traffic {
  bucket: Bucket;
  bucket_ms: number;
  since: number;
  until: number;
  series: TrafficPoint[];
}

export interface CurvePoint {
  threshold: number;
  coverage: number;
  accuracy: number;
}

export interface Confusion {
  actual: string;
  predicted: string;
  count: number;
}

export interface LabelMetrics {
  label: string;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  support: number;
}

export interface ModelReport {
  model_version: number;
  threshold: number | null;
  threshold_reason: string | null;
  holdout_examples: number;
  accuracy: number;
  macro_f1: number;
  curve: CurvePoint[];
  chosen: CurvePoint | null;
  labels: string[];
  confusion: number[][];
  top_confusions: Confusion[];
  per_label: LabelMetrics[];
}

/** GET /v1/tasks/:name/report for a structured task: exact match and agreement per field instead of labels. */
export type StructuredReport = StructuredModelReport & { model_version: number; threshold: number | null; threshold_reason: string | null };

/** Either kind of report: `kind: "structured"` tells them apart. */
export type AnyReport = (ModelReport & { kind?: undefined }) | StructuredReport;

export type ModelStatus = "candidate" | "promoted" | "retired" | "rejected";

export interface ModelVersion {
  task: string;
  version: number;
  status: ModelStatus;
  metrics: {
    holdout_accuracy: number | null;
    previous_accuracy: number | null;
    train_examples: number;
    holdout_examples: number;
    threshold_reason: string | null;
  };
  threshold: number | null;
  artifact_bytes: number;
  created_at: number;
  promoted_at: number | null;
  /** Threshold choices on new evidence, each spending part of the error budget. */
  looks: number;
}

export interface ModelList {
  data: ModelVersion[];
  promoted: number | null;
}

export interface PromoteReply {
  task: string;
  promoted: number;
  model_version: number | null;
}

/** POST /v1/tasks/:name/retrain: the cascade's report plus the version the gateway now serves. */
export type RetrainReply = RetrainReport & { model_version: number };

export interface ScoredLabel {
  label: string;
  probability: number;
}

export type ReviewKind = "disagreement" | "low_confidence" | "teacher_invalid";

export interface ReviewItem {
  request_id: string;
  kind: ReviewKind;
  input: string;
  created_at: number;
  answer: { label: string | null; source: "specialist" | "teacher" | "none"; confidence: number | null };
  teacher_label: string | null;
  top: ScoredLabel[];
}

export interface ReviewQueue {
  data: ReviewItem[];
  pending: Record<ReviewKind, number>;
  /** `low_confidence` holds specialist answers below this confidence (null: no threshold, every one; absent from older gateways). */
  low_confidence_below?: number | null;
}

export interface FeedbackReply {
  ok: boolean;
  request_id: string;
  label: string;
  previous_label: string | null;
}

export interface Explanation {
  model_version: number | null;
  label: string | null;
  confidence: number | null;
  top: ScoredLabel[];
  unknown_share: number | null;
  out_of_scope_max: number;
  /** The unknown share above which the router calls a text out of scope: out_of_scope_max or the cut fitted on the holdout, the lower. */
  unknown_share_cut: number;
  /** Confidence in the best real label discounted by how foreign the text is (null without a specialist). */
  scope_score: number | null;
  threshold: number | null;
  route: { decision: "specialist" | "teacher"; reason: RouteReason };
  /** Structured tasks with a specialist: its object and each field's probability and spans. */
  output?: Record<string, unknown>;
  fields?: PredictResult["fields"];
}

export interface BadRow {
  line: number;
  reason: string;
}


/** GET /v1/keys: a key without its secret; `current` is the key the dashboard is signed in with. */
export type ApiKey = ApiKeyRecord & { current: boolean; note?: string };
export type KeyRole = ApiKeyRecord["role"];

export interface NewApiKey {
  name: string;
  role: KeyRole;
  force_teacher: boolean;
  teacher_budget: TeacherBudget | null;
}

export interface ApiKeyCreated {
  /** The secret: in this reply only. */
  key: string;
  record: ApiKey;
}

export type { LoggedRequest, TeacherBudget };
export type RequestSource = LoggedRequest["source"];

export interface RequestPage {
  data: LoggedRequest[];
  next_before: string | null;
}

export interface LoggedRequestDetail extends LoggedRequest {
  teacher_asked: boolean;
  audit_agreed: boolean | null;
  example: { label: string; source: string; origin: string | null; updated_at: number } | null;
}

/** GET /v1/tasks/:name/requests filters (times in epoch ms). */
export interface RequestQuery {
  source?: RequestSource;
  label?: string;
  since?: number;
  until?: number;
  q?: string;
  before?: string;
  limit?: number;
}

export type Example = ExampleView;
export type ExampleOrigin = NonNullable<ExampleView["origin"]>;

export interface ExamplePage {
  data: ExampleView[];
  next_after: number | null;
  total: number;
}

/** GET /v1/tasks/:name/examples (and its export) filters. */
export interface ExampleQuery {
  source?: ExampleView["source"];
  origin?: ExampleOrigin | "none";
  label?: string;
  holdout?: "true" | "false";
  q?: string;
}

/** GET /v1/tasks/:name/examples/changes: what a retrain would change. */
export interface ExampleChanges extends StoreExampleChanges {
  live_version: number | null;
  trained_at: number | null;
  retrain_due: boolean;
}

export interface ExampleDisagreements {
  live_version: number | null;
  scanned: number;
  data: (ExampleView & { predicted: string; confidence: number })[];
}

export type ExportFormat = "csv" | "jsonl";
