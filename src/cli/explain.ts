import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { fillInventory } from "../core/adapters/inventory-adapter.js";
import { explain, ExplainInputError } from "../app/explain/explain.js";
import { identityPoliciesFor, isIdentityKind, type IdentityPolicies } from "../app/explain/identity.js";
import { renderExplanation } from "../app/explain/render.js";
import { parseArn, parsePolicy } from "../core/iam/index.js";
import { Inventory } from "../core/inventory/inventory.js";
import { seeHelp } from "./conventions.js";
import { askedActions, inputFlagsProblem, readExplainInputs } from "./explain-inputs.js";
import { EXPLAIN_OPTIONS } from "./explain-usage.js";

export async function runExplain(
  args: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: EXPLAIN_OPTIONS });
  const fail = (message: string): number => {
    io.stderr.write(`s3-vpce-guard explain: ${message}\n${seeHelp("explain")}\n`);
    return 2;
  };
  if (!values.bucket) return fail("--bucket NAME is required");
  if (values.output !== "text" && values.output !== "json") return fail(`--output must be text or json, not "${values.output}"`);
  if (values.endpoint !== undefined && values.vpc !== undefined) return fail("give --endpoint or --vpc, not both");
  const flagsProblem = inputFlagsProblem(values, positionals);
  if (flagsProblem !== undefined) return fail(flagsProblem);
  if (values.principal !== undefined && parseArn(values.principal) === undefined)
    return fail(`--principal ${values.principal}: expected an ARN such as arn:aws:iam::111122223333:role/NAME`);
  const inputs = await readExplainInputs(positionals, { ...values, identity: values.principal !== undefined });
  if (!inputs.ok) return fail(inputs.message);
  const { config, objects } = inputs;
  for (const warning of inputs.warnings) io.stderr.write(`s3-vpce-guard explain: ${warning}\n`);

  let identity: IdentityPolicies | undefined;
  if (values.principal !== undefined) {
    const fromInputs = identityPoliciesFor(values.principal, objects);
    if (fromInputs.roleFound || fromInputs.policies.length > 0) identity = fromInputs;
  }
  for (const file of values["identity-policy"] ?? []) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      return fail(`--identity-policy ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    const parsed = parsePolicy(text, "endpoint");
    if (!parsed.document)
      return fail(
        `--identity-policy ${file}: not a policy: ${parsed.issues.map((i) => `${i.path ? `${i.path}: ` : ""}${i.message}`).join("; ")}`,
      );
    identity ??= { roleFound: false, policies: [], missing: [] };
    identity.policies.push({ source: file, field: { ...parsed, path: "", text } });
  }

  const inventory = new Inventory();
  fillInventory(
    objects.filter((o) => !isIdentityKind(o)).map((object) => ({ object })),
    inventory,
    config,
  );
  inventory.complete = true;
  let result;
  try {
    result = explain(inventory, {
      bucket: values.bucket,
      endpoint: values.endpoint,
      vpc: values.vpc,
      actions: askedActions(values.action, config),
      key: values.key,
      principal: values.principal,
      identity,
    });
  } catch (error) {
    if (error instanceof ExplainInputError) return fail(error.message);
    throw error;
  }
  io.stdout.write(values.output === "json" ? `${JSON.stringify(result, null, 2)}\n` : renderExplanation(result));
  return result.allowed ? 0 : 1;
}
