import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadConfigFile } from "../config/load.js";
import { defaultConfig, type Config } from "../config/schema.js";
import { fillInventory } from "../engine/check.js";
import { explain, ExplainInputError } from "../explain/explain.js";
import { identityPoliciesFor, isIdentityKind, type IdentityPolicies } from "../explain/identity.js";
import { renderExplanation } from "../explain/render.js";
import { parseArn, parsePolicy } from "../iam/index.js";
import { Inventory } from "../inventory/inventory.js";
import { loadInputs } from "./load.js";
import { EXPLAIN_OPTIONS } from "./explain-usage.js";

const ACTION = /^s3:[A-Za-z0-9]+$/;

export async function runExplain(args: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: EXPLAIN_OPTIONS });
  const fail = (message: string): number => {
    io.stderr.write(`s3-vpce-guard explain: ${message}\nRun 's3-vpce-guard explain --help' for usage.\n`);
    return 2;
  };
  if (!values.bucket) return fail("--bucket NAME is required");
  if (values.output !== "text" && values.output !== "json") return fail(`--output must be text or json, not "${values.output}"`);
  if (values.endpoint !== undefined && values.vpc !== undefined) return fail("give --endpoint or --vpc, not both");
  if (positionals.length === 0 && !values.cluster) return fail("give at least one file, directory, - for stdin, or --cluster");
  if (!values.cluster && values.context !== undefined) return fail("--context only applies with --cluster");
  const badAction = values.action?.find((a) => !ACTION.test(a));
  if (badAction !== undefined) return fail(`--action ${badAction}: expected one S3 action such as s3:GetObject (no wildcards)`);
  if (values.principal !== undefined && parseArn(values.principal) === undefined) return fail(`--principal ${values.principal}: expected an ARN such as arn:aws:iam::111122223333:role/NAME`);
  let config: Config = defaultConfig();
  if (values.config) {
    const loaded = await loadConfigFile(values.config);
    if (!loaded.ok) return fail(loaded.errors.join("; "));
    config = loaded.config;
  }
  const loaded = positionals.length > 0 ? await loadInputs(positionals) : { documents: [], errors: [] };
  if (loaded.errors.length > 0) return fail(loaded.errors.map((e) => `${e.file}${e.line ? `:${e.line}` : ""}: ${e.message}`).join("\n"));
  const objects: unknown[] = loaded.documents.map((d) => d.object);
  if (values.cluster) {
    const listed = await readCluster(values.context);
    if (typeof listed === "string") return fail(listed);
    objects.unshift(...listed);
  }

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
    if (!parsed.document) return fail(`--identity-policy ${file}: not a policy: ${parsed.issues.map((i) => `${i.path ? `${i.path}: ` : ""}${i.message}`).join("; ")}`);
    identity ??= { roleFound: false, policies: [], missing: [] };
    identity.policies.push({ source: file, field: { ...parsed, path: "", text } });
  }

  const inventory = new Inventory();
  fillInventory(objects.filter((o) => !isIdentityKind(o)).map((object) => ({ object })), inventory, config);
  inventory.complete = true;
  let result;
  try {
    result = explain(inventory, {
      bucket: values.bucket,
      endpoint: values.endpoint,
      vpc: values.vpc,
      actions: values.action ?? config.probeActions.filter((a) => ACTION.test(a)),
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

/** The watched kinds of the cluster (read-only), as check --cluster lists them. */
export async function readCluster(context: string | undefined): Promise<unknown[] | string> {
  const { loadKubeConfig } = await import("../kube/kubeconfig.js");
  const { listCluster } = await import("../kube/cluster-list.js");
  let kubeConfig;
  try {
    kubeConfig = loadKubeConfig({ context });
  } catch (error) {
    return `--cluster: ${(error as Error).message}`;
  }
  try {
    const listing = await listCluster({ kubeConfig, namespace: undefined });
    if (listing.failures.length > 0) return `--cluster: ${listing.failures.map((f) => f.message).join("; ")}`;
    return listing.objects;
  } catch (error) {
    const { reasonOf } = await import("../kube/informer.js");
    return `--cluster: cannot read the API of ${kubeConfig.getCurrentCluster()?.server ?? "the cluster"} (context ${kubeConfig.getCurrentContext()}): ${reasonOf(error)}`;
  }
}
