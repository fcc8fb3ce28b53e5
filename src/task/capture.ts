// The `capture` block of a captured task (README "Capture"): a structured task the gateway found
// in the traffic it forwards to the upstream LLM, rather than one an operator declared. It says
// which calls belong to the task (their fingerprints), what the app asked for, and whether the
// specialist only watches (`shadow`), answers where its threshold allows (`serve`), or neither.
import { z } from "zod";

export const CAPTURE_MODES = ["shadow", "serve", "off"] as const;
export type CaptureMode = (typeof CAPTURE_MODES)[number];

/** A fingerprint: the hex SHA-256 of a call's model, system prompt and answer schema (src/server/capture/captured-call.ts). */
/** At most this many fingerprints in one task (a merge adds up both tasks'). */
export const MAX_FINGERPRINTS = 100;

const Fingerprint = z.string().regex(/^[0-9a-f]{64}$/, "a fingerprint is 64 lowercase hex digits");

export const CaptureBlockSchema = z
  .object({
    /**
     * `shadow`: the LLM answers every call, the specialist's would-be answer is recorded beside
     * it; `serve`: the specialist answers where its threshold allows, the rest is forwarded;
     * `off`: calls pass through untouched and nothing is learned.
     */
    mode: z.enum(CAPTURE_MODES).default("shadow"),
    /** Switch to `serve` by itself once shadow traffic proves the bound (absent: the gateway's capture.auto_serve). */
    auto_serve: z.boolean().optional(),
    /** The calls of this task: the first is the one it was found by; a merge adds the merged task's. */
    fingerprints: z.array(Fingerprint).min(1).max(MAX_FINGERPRINTS),
    /** The model name the app calls. */
    model: z.string().min(1).max(200),
    /** How the app asks for its answer: a json_schema response_format, or one forced tool (whose arguments are the answer). */
    via: z.enum(["response_format", "tool"]),
    /** The json_schema's or the tool's name, as the app gives it (a served reply repeats it). */
    schema_name: z.string().max(200).optional(),
    /** The captured task that had this one's model but another prompt or schema (the app changed it). */
    follows: z.string().max(64).optional(),
  })
  .strict();

export type CaptureBlock = z.infer<typeof CaptureBlockSchema>;
