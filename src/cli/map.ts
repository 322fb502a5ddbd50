import { parseArgs } from "node:util";
import { fillInventory } from "../core/adapters/inventory-adapter.js";
import { isIdentityKind } from "../app/explain/identity.js";
import { renderHtml } from "../app/explain/html.js";
import { DEFAULT_FOLD, DEFAULT_MAX_NODES, layoutMap } from "../app/explain/layout.js";
import { buildMap, MAX_EDGES, MAX_EDGES_FOLDED, renderDot, renderMermaid } from "../app/explain/map.js";
import { findingsForMap } from "../app/explain/map-findings.js";
import { foldSummary, renderSvg } from "../app/explain/svg.js";
import { Inventory } from "../core/inventory/inventory.js";
import { seeHelp } from "./conventions.js";
import { askedActions, inputFlagsProblem, readExplainInputs } from "./explain-inputs.js";
import { MAP_OPTIONS } from "./explain-usage.js";

export async function runMap(
  args: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: MAP_OPTIONS });
  const fail = (message: string): number => {
    io.stderr.write(`s3-vpce-guard map: ${message}\n${seeHelp("map")}\n`);
    return 2;
  };
  const output = values.output;
  if (output !== "dot" && output !== "mermaid" && output !== "html" && output !== "svg")
    return fail(`--output must be html, svg, dot or mermaid, not "${output}"`);
  const fold = count(values.fold, DEFAULT_FOLD);
  if (fold === undefined) return fail(`--fold ${values.fold}: expected a whole number (0: never fold)`);
  const maxNodes = count(values["max-nodes"], DEFAULT_MAX_NODES);
  if (maxNodes === undefined || maxNodes < 1) return fail(`--max-nodes ${values["max-nodes"]}: expected a whole number of at least 1`);
  const flagsProblem = inputFlagsProblem(values, positionals);
  if (flagsProblem !== undefined) return fail(flagsProblem);
  const inputs = await readExplainInputs(positionals, values);
  if (!inputs.ok) return fail(inputs.message);
  const { config, objects } = inputs;
  for (const warning of inputs.warnings) io.stderr.write(`s3-vpce-guard map: ${warning}\n`);
  const inventory = new Inventory();
  fillInventory(
    objects.filter((o) => !isIdentityKind(o)).map((object) => ({ object })),
    inventory,
    config,
  );
  inventory.complete = true;
  const folds = output === "html" || output === "svg";
  const graph = buildMap(inventory, askedActions(values.action, config), folds ? MAX_EDGES_FOLDED : MAX_EDGES);
  if (!folds) {
    io.stdout.write(output === "dot" ? renderDot(graph) : renderMermaid(graph));
    return 0;
  }
  const layout = layoutMap(graph, findingsForMap(graph, inventory, config), { fold, maxNodes });
  io.stdout.write(output === "html" ? renderHtml(layout) : renderSvg(layout));
  for (const line of foldSummary(layout)) io.stderr.write(`s3-vpce-guard map: ${line}\n`);
  return 0;
}

/** A flag's whole number, its default when not given; undefined when it is not one. */
function count(text: string | undefined, fallback: number): number | undefined {
  if (text === undefined) return fallback;
  return /^\d{1,7}$/.test(text) ? Number(text) : undefined;
}
