// The one way the dashboard talks to the gateway: every call sends the admin key as a bearer
// token, and every error body `{ error: { message, type, code, details } }` becomes an ApiError
// carrying the status and the gateway's own message.
import type {
  ApiKey,
  ApiKeyCreated,
  Bucket,
  Example,
  ExampleChanges,
  ExampleDisagreements,
  ExamplePage,
  ExampleQuery,
  Explanation,
  ExportFormat,
  FeedbackReply,
  ImportReply,
  LoggedRequestDetail,
  ModelList,
  AnyReport,
  CaptureChange,
  CapturedTaskEdit,
  CapturedTaskMerged,
  DiscoveredTask,
  StructuredObject,
  NewApiKey,
  PromoteReply,
  RequestPage,
  RequestQuery,
  RetrainReply,
  ReviewKind,
  ReviewQueue,
  RoutingSettings,
  TaskDetail,
  TaskRecord,
  TaskStats,
  Traffic,
  TrainingSettings,
} from "./types.js";

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Turns a failed response's body into an ApiError; a body that is not the gateway's JSON still gives a message. */
export function errorFromBody(status: number, body: string, statusText = ""): ApiError {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown; code?: unknown; details?: unknown } };
    const e = parsed?.error;
    if (e && typeof e.message === "string") return new ApiError(status, e.message, typeof e.code === "string" ? e.code : null, e.details);
  } catch {
    // not JSON: fall through
  }
  const text = body.trim().slice(0, 300);
  return new ApiError(status, text !== "" ? `HTTP ${status}: ${text}` : `HTTP ${status}${statusText ? ` ${statusText}` : ""}`);
}

/** A plain sentence for an error of any kind (network failures included). */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 429) return `Too many requests: ${err.message}`;
    return err.message;
  }
  if (err instanceof TypeError) return `Could not reach the gateway (${err.message}).`;
  return err instanceof Error ? err.message : String(err);
}

export type Query = Record<string, string | number | boolean | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs === "" ? path : `${path}?${qs}`;
}

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  json?: unknown;
  signal?: AbortSignal;
}

export interface UploadOptions {
  contentType: string;
  query?: Query;
  onProgress?: (loaded: number, total: number) => void;
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

const task = (name: string) => `/v1/tasks/${encodeURIComponent(name)}`;
const captured = (name: string) => `/v1/captured/${encodeURIComponent(name)}`;

export class ApiClient {
  constructor(
    readonly key: string,
    readonly baseUrl = "",
    private readonly fetchImpl: FetchLike = (input, init) => fetch(input, init),
  ) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}`, accept: "application/json" };
    let body: string | undefined;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    const res = await this.fetchImpl(this.baseUrl + withQuery(path, options.query), { method, headers, body, signal: options.signal });
    const text = await res.text();
    if (!res.ok) throw errorFromBody(res.status, text, res.statusText);
    return (text === "" ? null : JSON.parse(text)) as T;
  }

  /** A raw body with upload progress (fetch cannot report it); resolves with the JSON reply. */
  upload<T>(path: string, body: Blob | string, options: UploadOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", this.baseUrl + withQuery(path, options.query));
      xhr.setRequestHeader("authorization", `Bearer ${this.key}`);
      xhr.setRequestHeader("content-type", options.contentType);
      xhr.setRequestHeader("accept", "application/json");
      if (options.onProgress) {
        const report = options.onProgress;
        xhr.upload.onprogress = (e) => report(e.loaded, e.lengthComputable ? e.total : 0);
      }
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          try {
            resolve(JSON.parse(xhr.responseText) as T);
          } catch {
            reject(new ApiError(xhr.status, "the gateway's reply was not JSON"));
          }
        } else reject(errorFromBody(xhr.status, xhr.responseText, xhr.statusText));
      };
      xhr.onerror = () => reject(new TypeError("network error during the upload"));
      xhr.onabort = () => reject(new Error("upload cancelled"));
      xhr.send(body);
    });
  }

  tasks = () => this.request<{ data: TaskRecord[] }>("GET", "/v1/tasks");
  task = (name: string) => this.request<TaskDetail>("GET", task(name));
  patchTask = (name: string, patch: { routing?: RoutingSettings; training?: TrainingSettings; description?: string }) => this.request<TaskRecord>("PATCH", task(name), { json: patch });
  stats = (name: string, since?: number) => this.request<TaskStats>("GET", `${task(name)}/stats`, { query: { since } });
  traffic = (name: string, query: { since?: number; until?: number; bucket?: Bucket }) => this.request<Traffic>("GET", `${task(name)}/traffic`, { query });
  report = (name: string) => this.request<AnyReport>("GET", `${task(name)}/report`);
  models = (name: string) => this.request<ModelList>("GET", `${task(name)}/models`);
  promote = (name: string, version: number) => this.request<PromoteReply>("POST", `${task(name)}/models/${version}/promote`);
  rollback = (name: string) => this.request<PromoteReply>("POST", `${task(name)}/rollback`);
  retrain = (name: string) => this.request<RetrainReply>("POST", `${task(name)}/retrain`);
  review = (name: string, kind: ReviewKind | "all" = "all", limit = 50) => this.request<ReviewQueue>("GET", `${task(name)}/review`, { query: { kind, limit } });
  /** A label (label task) or an object (structured task: sent as `output`). */
  feedback = (name: string, requestId: string, answer: string | StructuredObject) =>
    this.request<FeedbackReply>("POST", `${task(name)}/feedback`, { json: typeof answer === "string" ? { request_id: requestId, label: answer } : { request_id: requestId, output: answer } });
  explain = (name: string, input: string) => this.request<Explanation>("POST", `${task(name)}/explain`, { json: { input } });
  requests = (name: string, query: RequestQuery) => this.request<RequestPage>("GET", `${task(name)}/requests`, { query: { ...query } });
  loggedRequest = (name: string, id: string) => this.request<LoggedRequestDetail>("GET", `${task(name)}/requests/${encodeURIComponent(id)}`);
  capturedTasks = () => this.request<{ data: DiscoveredTask[] }>("GET", "/v1/captured");
  changeCapture = (name: string, change: CaptureChange | CapturedTaskEdit) => this.request<DiscoveredTask>("PATCH", captured(name), { json: change });
  /** Merges captured task `name` into captured task `into`: `name` is deleted. */
  mergeCaptured = (name: string, into: string) => this.request<CapturedTaskMerged>("POST", `${captured(name)}/merge`, { json: { into } });
  deleteCaptured = (name: string) => this.request<null>("DELETE", captured(name));
  keys = () => this.request<{ data: ApiKey[] }>("GET", "/v1/keys");
  createKey = (key: NewApiKey) => this.request<ApiKeyCreated>("POST", "/v1/keys", { json: key });
  revokeKey = (id: number) => this.request<ApiKey>("DELETE", `/v1/keys/${id}`);
  importExamples = (name: string, body: Blob | string, options: UploadOptions) => this.upload<ImportReply>(`${task(name)}/examples`, body, options);
  examples = (name: string, query: ExampleQuery & { after?: number; limit?: number }) => this.request<ExamplePage>("GET", `${task(name)}/examples`, { query: { ...query } });
  editExample = (name: string, id: number, answer: string | StructuredObject) =>
    this.request<Example>("PATCH", `${task(name)}/examples/${id}`, { json: typeof answer === "string" ? { label: answer } : { output: answer } });
  deleteExample = (name: string, id: number) => this.request<null>("DELETE", `${task(name)}/examples/${id}`);
  exampleChanges = (name: string) => this.request<ExampleChanges>("GET", `${task(name)}/examples/changes`);
  exampleDisagreements = (name: string) => this.request<ExampleDisagreements>("GET", `${task(name)}/examples/changes/disagreements`);

  /** The export as a file (a Blob): a link cannot carry the bearer key, so it is fetched, then saved. */
  async exportExamples(name: string, format: ExportFormat, query: ExampleQuery): Promise<Blob> {
    const res = await this.fetchImpl(this.baseUrl + withQuery(`${task(name)}/examples/export`, { ...query, format }), { headers: { authorization: `Bearer ${this.key}` } });
    if (!res.ok) throw errorFromBody(res.status, await res.text(), res.statusText);
    return res.blob();
  }
}
