import { parseArgs } from "node:util";
import { fillInventory } from "../core/adapters/inventory-adapter.js";
import { isIdentityKind } from "../app/explain/identity.js";
import { buildMap, renderDot, renderMermaid } from "../app/explain/map.js";
import { Inventory } from "../core/inventory/inventory.js";
import { readExplainInputs } from "./explain-inputs.js";
import { MAP_OPTIONS } from "./explain-usage.js";

const ACTION = /^s3:[A-Za-z0-9]+$/;

export async function runMap(args: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: MAP_OPTIONS });
  const fail = (message: string): number => {
    io.stderr.write(`s3-vpce-guard map: ${message}\nRun 's3-vpce-guard map --help' for usage.\n`);
    return 2;
  };
  if (values.output !== "dot" && values.output !== "mermaid") return fail(`--output must be dot or mermaid, not "${values.output}"`);
  if (positionals.length === 0 && !values.cluster) return fail("give at least one file, directory, - for stdin, or --cluster");
  if (!values.cluster && values.context !== undefined) return fail("--context only applies with --cluster");
  const badAction = values.action?.find((a) => !ACTION.test(a));
  if (badAction !== undefined) return fail(`--action ${badAction}: expected one S3 action such as s3:GetObject (no wildcards)`);
  const inputs = await readExplainInputs(positionals, values);
  if (!inputs.ok) return fail(inputs.message);
  const { config, objects } = inputs;
  const inventory = new Inventory();
  fillInventory(objects.filter((o) => !isIdentityKind(o)).map((object) => ({ object })), inventory, config);
  inventory.complete = true;
  const graph = buildMap(inventory, values.action ?? config.probeActions.filter((a) => ACTION.test(a)));
  io.stdout.write(values.output === "dot" ? renderDot(graph) : renderMermaid(graph));
  return 0;
}
