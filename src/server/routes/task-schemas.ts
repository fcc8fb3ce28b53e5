// Tasks as the API takes and returns them: the zod validators of src/task under the component
// names of /openapi.json. A task body is checked by teachers.checkTask (the task's messages, with
// every problem's path, and the declared teachers), so these document the bodies rather than parse
// them; the replies are checked against them in the tests.
import { z } from "zod";
import { CaptureBlockSchema } from "../../task/capture.js";
import { GatewayTaskSchema, TaskSchema } from "../../task/definition.js";
import { OutputSchema } from "../../task/output-schema.js";
import { StructuredTaskSchema } from "../../task/structured.js";
import { epochMsSchema } from "../http/api-schemas.js";

const LabelTaskInputSchema = GatewayTaskSchema.meta({ id: "LabelTaskInput" });

/** A structured task as the API takes it: the label task's gateway settings (a teacher named, not configured) without its label keys, plus `output`. */
const StructuredTaskInputSchema = GatewayTaskSchema.omit({ labels: true, out_of_scope_label: true })
  .extend({ output: OutputSchema, capture: CaptureBlockSchema.optional() })
  .meta({ id: "StructuredTaskInput" });

// Input: what a client sends (settings with defaults may be left out). Output: what is stored.
export const TaskInputSchema = z.xor([LabelTaskInputSchema, StructuredTaskInputSchema]).meta({
  id: "TaskInput",
  description: "A label task (`labels`: the teacher picks one) or a structured task (`output`: the teacher answers a JSON object of the block's fields); giving both, or neither, is refused.",
});

export const TaskPatchSchema = GatewayTaskSchema.partial().meta({ id: "TaskPatch", description: "Fields to change; the rest of the stored definition is kept. The name cannot change." });

const TaskDefinitionSchema = z.xor([TaskSchema.meta({ id: "LabelTask" }), StructuredTaskSchema.meta({ id: "StructuredTask" })]).meta({
  id: "Task",
  description: "The stored definition: a label task or a structured task (`output`), every setting filled in.",
});

export const TaskRecordSchema = z
  .object({ name: z.string(), definition: TaskDefinitionSchema, created_at: epochMsSchema("Creation time"), updated_at: epochMsSchema("Last change") })
  .meta({ id: "TaskRecord" });

export const TaskCreatedSchema = TaskRecordSchema.extend({
  notices: z
    .array(z.string())
    .optional()
    .describe("Structured tasks only, and only when there is something to say: one line per field only the teacher can answer (teacher-only: free strings, numbers), with how to make it learnable."),
}).meta({ id: "TaskCreated" });

const CircuitSchema = z.object({
  state: z.enum(["closed", "open", "half_open"]).describe("`open`: teacher calls fail fast; `half_open`: the cool-down is over and the next call probes the teacher."),
  consecutive_failures: z.number().int(),
  opened: z.number().int().describe("Times the circuit opened since the gateway started."),
  cooldown_ms: z.number().int().describe("The current cool-down (doubles after each failed probe, up to a cap)."),
  retry_at: epochMsSchema("While open: when the next probe is let through").nullable(),
});

export const TaskDetailSchema = TaskRecordSchema.extend({
  none_label: z.string().nullable().describe('A label task\'s "none of these" answer (its out_of_scope_label, else `none_of_these`), which people may give in reviews and corrections; for a structured task the value a choice field takes for it, `none_of_these`, null when no field offers it (a captured task).'),
  model_version: z.number().int().nullable().describe("Live specialist version (0: none yet)."),
  cascade: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe("Counters of the live cascade since the gateway started: requests, teacher_calls, specialist_answers, degraded_answers, audits, surge_diversions, surging (the answer groups whose surge sends every request to the teacher now), examples, version, threshold…"),
  teacher: z
    .object({
      name: z.string().nullable().describe("The declared teacher the task names, e.g. `default`."),
      provider: z.string().nullable().describe("Its provider (`openai`, `sim`); null when it is unavailable."),
      model: z.string().nullable().describe("Its model, e.g. `gpt-4o-mini`; null for the simulated teacher or when it is unavailable."),
      status: z.enum(["ready", "unavailable"]),
      reason: z.string().optional().describe("Why it is unavailable."),
      on_failure: z.enum(["specialist", "fail"]).describe("The task's `teacher.on_failure` policy."),
      circuit: CircuitSchema,
    })
    .nullable(),
}).meta({ id: "TaskDetail" });
