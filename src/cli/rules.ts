import { ALL_RULES } from "../core/rules/rule-registry.js";

/** `s3-vpce-guard rules`: the catalogue, as the README shows it. */
export function printRules(format: string): number {
  if (format === "json") {
    const rules = ALL_RULES.map((r) => ({ id: r.id, defaultAction: r.defaultAction, description: r.description, guide: r.guide }));
    process.stdout.write(`${JSON.stringify(rules, null, 2)}\n`);
    return 0;
  }
  if (format !== "text") {
    process.stderr.write(`s3-vpce-guard rules: --output must be text or json, not "${format}"\n`);
    return 2;
  }
  const width = Math.max(...ALL_RULES.map((r) => r.id.length));
  for (const r of ALL_RULES) {
    process.stdout.write(
      `${r.id.padEnd(width)}  ${r.defaultAction.padEnd(5)}  ${r.description}\n${" ".repeat(width + 9)}guide: ${r.guide}\n`,
    );
  }
  return 0;
}
