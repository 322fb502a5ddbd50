// @ts-check
// Turns the JSON lines of test/harness/fault-results.ts (S3VG_FAULT_RESULTS) into a Markdown
// table: scenario | metric | value | unit | note. Rows keep the order they were recorded in,
// grouped by scenario (first appearance). A metric recorded twice for a scenario (a re-run
// into the same file) keeps every value, in order.
// Usage: node bench/faults-table.mjs RESULTS.jsonl [--header "line above the table"]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { header: { type: "string", multiple: true } } });
const file = positionals[0];
if (!file) {
  console.error("usage: node bench/faults-table.mjs RESULTS.jsonl [--header LINE ...]");
  process.exit(2);
}

/** @type {Array<{ scenario: string; metric: string; value: number; unit?: string; note?: string }>} */
const rows = [];
/** @type {string[]} */
const bad = [];
readFileSync(file, "utf8")
  .split("\n")
  .forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      const row = JSON.parse(line);
      if (typeof row.scenario !== "string" || typeof row.metric !== "string" || typeof row.value !== "number")
        throw new Error("missing scenario, metric or value");
      rows.push(row);
    } catch (error) {
      bad.push(`line ${index + 1}: ${/** @type {Error} */ (error).message}`);
    }
  });

const scenarios = [...new Set(rows.map((r) => r.scenario))];
/** @type {(text: unknown) => string} */
const cell = (text) =>
  String(text ?? "")
    .replaceAll("|", "\\|")
    .replaceAll("\n", " ");
/** @type {(value: number) => string} */
const number = (value) => (Number.isNaN(value) ? "n/a" : Number.isInteger(value) ? value.toLocaleString("en-US") : value.toFixed(2));

const out = [...(values.header ?? []), ...(values.header?.length ? [""] : [])];
out.push("| scenario | metric | value | unit | note |", "|---|---|---:|---|---|");
for (const scenario of scenarios) {
  for (const r of rows.filter((x) => x.scenario === scenario)) {
    out.push(`| ${cell(r.scenario)} | ${cell(r.metric)} | ${number(r.value)} | ${cell(r.unit)} | ${cell(r.note)} |`);
  }
}
if (rows.length === 0) out.push("| (no measurements recorded) | | | | |");
if (bad.length > 0) out.push("", `Unreadable lines in ${file}: ${bad.join("; ")}`);
console.log(out.join("\n"));
