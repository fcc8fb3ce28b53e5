// "None of these": the answer a teacher or a person gives for a message that fits none of the
// choices offered, for both kinds of task. Its own module, free of zod, so that the structured
// task's fields (output-fields.ts) and the dashboard read it without the task schema.

/**
 * The teacher's "none of these" answer: a label task's when it names no `out_of_scope_label` of
 * its own, and the value any choice field of a declared structured task may take besides its enum.
 * Stored and learned like any answer; the specialist never answers with it (the router sends
 * such a prediction to the teacher).
 */
export const NONE_LABEL = "none_of_these";
