// Why the router sends an input where it does, in words, from POST /explain's reply.
import type { Explanation } from "../api/types.js";
import { prob } from "./format.js";
import { answerGroupText, noneFields, type AnswerField } from "./structured.js";

/** `fields`: a structured task's (null or absent for a label task). */
export function routeSummary(e: Explanation, fields: readonly AnswerField[] | null = null): { decision: string; why: string } {
  const decision = e.route.decision === "specialist" ? "Specialist answers" : "Sent to the teacher";
  const c = prob(e.confidence);
  const t = prob(e.threshold);
  switch (e.route.reason) {
    case "confident":
      return { decision, why: `Confidence ${c} is at or above the threshold ${t}${e.unknown_share !== null ? `, and the out-of-scope score ${prob(e.unknown_share)} is within its cut ${prob(e.unknown_share_cut)}` : ""}.` };
    case "below_threshold":
      return { decision, why: `Confidence ${c} is below the threshold ${t}.` };
    case "surge":
      return { decision, why: `Confidence ${c} is at or above the threshold ${t}, but the recent requests are not like the earlier traffic the threshold's held-out examples came from (some answers far outnumber their earlier share), so the teacher answers everything until the traffic settles.` };
    case "held": {
      const answer = fields !== null && e.output ? answerGroupText(fields, e.output) : (e.label ?? "");
      return { decision, why: `Confidence ${c} is at or above the threshold ${t}, but this version's live audits proved its answers "${answer}" wrong more often than the task's max error allows, so the teacher gives them until a new version is promoted.` };
    }
    case "out_of_scope":
      return { decision, why: `The out-of-scope score ${prob(e.unknown_share)} is above its cut ${prob(e.unknown_share_cut)}, whatever the confidence.` };
    case "out_of_scope_label": {
      const none = fields !== null && e.output ? noneFields(fields, e.output) : [];
      if (none.length > 0) return { decision, why: `The specialist's answer says "none of these" for ${none.join(", ")}, which only the teacher gives.` };
      return { decision, why: `The specialist's best label "${e.label ?? ""}" is the task's out-of-scope label, which only the teacher gives.` };
    }
    case "no_threshold":
      return { decision, why: "The live model has no threshold that keeps the error under the task's max error, so it answers nothing yet." };
    case "no_specialist":
      return { decision, why: "There is no trained specialist yet." };
    default:
      return { decision, why: String(e.route.reason) };
  }
}
