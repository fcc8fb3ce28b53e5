// The `capture:` block of the gateway's configuration file (README "Capture"): which forwarded
// calls may become captured tasks, how their inputs are kept, when a task may take over by itself,
// and what the upstream's tokens cost (for the savings the console shows).
import { z } from "zod";
import { RoutingSchema, TrainingSchema } from "../../task/definition.js";

const PriceSchema = z.object({ input_per_mtok: z.number().min(0), output_per_mtok: z.number().min(0) }).strict();

export const CaptureSettingsSchema = z
  .object({
    /** Only calls to these models are captured (absent: every model). */
    models: z.array(z.string().min(1)).min(1).optional(),
    /** Calls to these models pass through untouched. */
    exclude_models: z.array(z.string().min(1)).default([]),
    /** Calls sent with these API keys (by name) pass through untouched. */
    exclude_keys: z.array(z.string().min(1)).default([]),
    /** The request log of captured tasks keeps the input (`keep_inputs`) or only its hash (`hash_inputs`). */
    privacy: z.enum(["keep_inputs", "hash_inputs"]).default("keep_inputs"),
    /**
     * Switch a captured task from shadow to serve by itself once `min_requests` shadow calls the
     * specialist would have answered were judged, and their disagreement is provably within the
     * task's max_error (false: an admin switches; a task's own capture.auto_serve wins).
     */
    auto_serve: z.union([z.literal(false), z.object({ min_requests: z.number().int().min(1).default(200) }).strict()]).default(false),
    /**
     * Shadow calls waiting to be learned, at most (calls, and megabytes of their replies): past
     * either, a call is relayed but not learned, counted per task (`shed_calls` in /v1/captured).
     */
    learn_queue: z.object({ calls: z.number().int().min(0).max(100_000).default(1000), megabytes: z.number().min(0).max(1024).default(32) }).strict().prefault({}),
    /**
     * The most of the event loop learning takes while calls are being relayed (learn-budget.ts):
     * a saturated gateway relays about this much less, and learns a steady sample of its calls
     * instead of every one. 1: learning is never held back.
     */
    learn_share: z.number().min(0.001).max(1).default(0.01),
    /** At most this many captured tasks: a caller cannot make the gateway create tasks without end. */
    max_tasks: z.number().int().min(1).max(10_000).default(50),
    /**
     * Routing and training settings a newly captured task starts with, instead of a task's
     * defaults (max_error 5%…): the error a team accepts from the specialists its calls become.
     * A task's own settings, changed later with PATCH /v1/tasks/:name, win.
     */
    task_defaults: z
      .object({
        routing: RoutingSchema.partial().strict().optional(),
        training: TrainingSchema.omit({ learn_from_keys: true }).partial().strict().optional(),
      })
      .strict()
      .default({}),
    /** The upstream's prices per model, per million tokens (absent: savings are counted in calls and tokens only). */
    prices: z.record(z.string().min(1), PriceSchema).default({}),
  })
  .strict();

export type CaptureSettings = z.infer<typeof CaptureSettingsSchema>;

/** What a gateway without a `capture:` block does: capture with the defaults above. */
export const DEFAULT_CAPTURE: CaptureSettings = CaptureSettingsSchema.parse({});

/** The auto_serve bar used when a task's own auto_serve is true but the gateway's is off. */
export const DEFAULT_AUTO_SERVE_REQUESTS = 200;
