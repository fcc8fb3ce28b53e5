// The gateway's storage layer: `openStore(url)` and the repositories it hands out.
export { openStore, parseStoreUrl, redactUrl, DEFAULT_SQLITE_PATH } from "./database.js";
export type { Store, StoreOptions, StoreRepositories, StoreDialect, StoreTarget } from "./database.js";
export { StoreError, StoreOpenError, StoreMigrationError, StoreConflictError, StoreNotFoundError } from "./errors.js";
export { textHash, sha256Hex } from "./hash.js";
export { TaskRepository, type TaskRecord, type TaskSyncState } from "./tasks.js";
export { ExampleRepository, type ExampleInput, type ExampleRecord, type ExampleFilter, type ExampleChanges, type AddManyResult } from "./examples.js";
export { RequestLog, REVIEW_KINDS, type NoneAnswers, type NoneWindow, type RequestInput, type RequestRecord, type RequestStats, type DailyRequestStats, type TrafficBucket, type ReviewKind, type ReviewItem, type ReviewOptions, type ShadowStats, type ServedStats, type PlannedMove } from "./requests.js";
export type { RequestCursor, RequestFilter } from "./request-search.js";
export { ModelRepository, type NewModelVersion, type ModelVersionInfo, type PromotedModel, type ModelMetrics } from "./models.js";
export { ApiKeyRepository, API_KEY_PREFIX, type ApiKeyRecord, type ApiKeyPermissions, type RevokeOutcome } from "./api-keys.js";
export { TeacherSpendRepository, SPEND_PERIOD_MS, windowStart, taskScope, keyScope, type SpendLimit, type SpendPeriod, type SpendUsage, type SpendWindow, type Reservation } from "./teacher-spend.js";
export { EXAMPLE_ORIGINS, REQUEST_SOURCES } from "./schema.js";
export type { Database, ExampleOrigin, ExampleSource, RequestSource, RequestStatus, ModelStatus, ApiKeyRole } from "./schema.js";
