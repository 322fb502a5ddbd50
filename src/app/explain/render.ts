/** Text for `explain` (the JSON form is the Explanation itself, README "explain"). Pure. */

import type { ActionExplanation, Explanation, LayerOutcome } from "./explain.js";

const DECISION_WORDS: Record<LayerOutcome["decision"], string> = {
  Allow: "allows",
  ExplicitDeny: "denies",
  ImplicitDeny: "no statement matches",
};

const PASSES_WORDS: Record<LayerOutcome["passes"], string> = {
  always: "lets every such request through",
  never: "lets no such request through",
  sometimes: "lets some through",
  undecided: "undecided",
};

const OUTCOME_WORDS: Record<ActionExplanation["outcome"], string> = {
  allowed: "ALLOWED",
  conditional: "ALLOWED WHEN",
  denied: "DENIED",
  unknown: "UNDECIDED",
};

export function renderExplanation(result: Explanation): string {
  const lines: string[] = [];
  const where = result.bucket.region ? ` (${result.bucket.region})` : "";
  lines.push(`Bucket ${result.bucket.name}${where}${result.bucket.resource ? `, ${result.bucket.resource}` : ""}`);
  lines.push(`Principal: ${result.principal ?? "any principal with AWS credentials"}`);
  if (result.identity) {
    lines.push(`Identity policies: ${result.identity.sources.length > 0 ? result.identity.sources.join("; ") : "none found"}`);
    if (result.identity.missing.length > 0) lines.push(`  not in the inputs (not evaluated): ${result.identity.missing.join("; ")}`);
  }
  for (const note of result.notes) lines.push(`Note: ${note}`);
  for (const path of result.paths) {
    const e = path.endpoint;
    lines.push("");
    lines.push(`Through ${e.resource} (${[e.id, e.type, e.vpc, e.region].filter(Boolean).join(", ")})`);
    for (const action of path.actions) {
      const outcome =
        action.outcome === "conditional" && action.conditions.length === 0 ? "ALLOWED FOR SOME REQUESTS" : OUTCOME_WORDS[action.outcome];
      const conditions = action.outcome === "conditional" && action.conditions.length > 0 ? ` ${action.conditions.join(" and ")}` : "";
      lines.push(`  ${action.action} on ${action.resource}: ${outcome}${conditions}`);
      for (const layer of action.layers) {
        const deciders = layer.statements
          .map((s) => `${layer.sources.length > 1 ? `${s.source} ` : ""}${s.path}${s.sid ? ` (Sid ${s.sid})` : ""}`)
          .join(", ");
        lines.push(
          `    ${layer.layer.padEnd(8)} ${DECISION_WORDS[layer.decision]}${deciders ? `: ${deciders}` : ""} [${PASSES_WORDS[layer.passes]}]`,
        );
        lines.push(`             in ${layer.sources.length > 0 ? layer.sources.join("; ") : "(no policy)"}`);
      }
      for (const fix of action.fixes) lines.push(`    fix (${fix.layer}): ${fix.source} ${fix.path}: ${fix.change}`);
      for (const note of action.notes) lines.push(`    note: ${note}`);
    }
  }
  lines.push("");
  const working = result.paths
    .filter((p) => p.actions.every((a) => a.outcome === "allowed" || a.outcome === "conditional"))
    .map((p) => p.endpoint.resource);
  lines.push(
    result.allowed
      ? `Every asked action works on some path${working.length > 0 ? `; paths where all of them work: ${working.join(", ")}` : ""}.`
      : "Not every asked action works on some path.",
  );
  return `${lines.join("\n")}\n`;
}
