import { defaultConfig, type Config } from "../core/config.js";
import { artifactUri } from "../platform/util/file-uri.js";
import { findKind } from "../core/adapters/index.js";
import { adaptInputs, checkAdapted, InputAdapter, type AdaptedInputs, type SourcedObject } from "../app/check-objects.js";
import type { InputError } from "../core/model/report.js";
import { isOutputFormat, OUTPUT_FORMATS, renderChunks } from "../app/output/index.js";
import { ALL_RULES } from "../core/rules/rule-registry.js";
import { VERSION } from "../platform/version.js";
import { loadInputs, type LoadedDocument } from "./input-files.js";

export interface CheckArgs {
  paths: string[];
  configPath: string | undefined;
  output: string;
  /** `--aws`: look ids, regions and VPC CIDRs up in EC2 (default credential chain). */
  aws?: boolean;
  /** `--ec2-endpoint URL` (emulators); AWS_ENDPOINT_URL_EC2 otherwise. */
  ec2Endpoint?: string | undefined;
  /** `--allow-empty`: finding no resource of a checked kind is not an error. */
  allowEmpty?: boolean;
  /** `--cluster`: also read every watched kind from the cluster of the kubeconfig context. */
  cluster?: { context?: string | undefined; namespace?: string | undefined };
}

/** Where the CLI writes; tests may give their own. */
interface CheckIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const defaultIo = (): CheckIo => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });

/** Objects read from the cluster, with the name their findings and errors show. */
interface ClusterObjects {
  /** "<cluster CONTEXT>": the "file" of errors about the cluster. */
  label: string;
  objects: { object: Record<string, unknown>; resource: string }[];
  errors: InputError[];
  /** Every object of every watched kind was read: rules that need the whole inventory may run. */
  complete: boolean;
  /** A kind could not be listed. */
  listFailed: boolean;
  /** Where a file's namespaced object without a namespace goes: --namespace, else the context's, else "default". */
  defaultNamespace: string;
  /** How many watched kinds the API server serves (0: no CRD of ours is installed). */
  servedKinds: number;
}

/** Marks cluster objects among the engine's sources; never a real path (NUL cannot be in one). */
const CLUSTER_SOURCE = "\u0000cluster:";

/** `s3-vpce-guard check`: load, check with the shared engine, render; returns the exit code. */
export async function runCheck(args: CheckArgs, io: CheckIo = defaultIo()): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`s3-vpce-guard check: ${message}\n`);
    return 2;
  };
  if (!isOutputFormat(args.output)) return fail(`--output must be one of ${OUTPUT_FORMATS.join(", ")}, not "${args.output}"`);
  if (args.paths.length === 0 && !args.cluster)
    return fail("give at least one file, directory, - for stdin, or --cluster (run 's3-vpce-guard check --help' for examples)");
  let config: Config = defaultConfig();
  if (args.configPath) {
    // The config reader (and its YAML parser) loads only for --config.
    const { loadConfigFile } = await import("./config/config-file.js");
    const loaded = await loadConfigFile(args.configPath);
    if (!loaded.ok) {
      for (const e of loaded.errors) io.stderr.write(`${e}\n`);
      return 2;
    }
    config = loaded.config;
  }
  let cluster: ClusterObjects | undefined;
  if (args.cluster) {
    const read = await readCluster(args.cluster, io);
    if (typeof read === "string") return fail(read);
    cluster = read;
  }
  const { inputs, loadErrors } = cluster
    ? await adaptWithCluster(args.paths, cluster, config, io)
    : await adaptFiles(args.paths, config, io);
  // The AWS SDK is large: load it only when --aws asks for it.
  const aws = args.aws
    ? await (await import("./check-aws.js")).prepareCliAws(inputs.inventory, { config, endpointFlag: args.ec2Endpoint })
    : undefined;
  if (aws && !aws.ok) return fail(aws.error);
  if (aws?.notice) io.stderr.write(`s3-vpce-guard check: ${aws.notice}\n`);
  const report = checkAdapted(inputs, { config, inventoryComplete: cluster?.complete ?? true });
  aws?.close();
  if (cluster) relabelClusterSources(report, cluster);
  report.errors = withoutDuplicates([...(cluster?.errors ?? []), ...loadErrors, ...report.errors]);
  const color = args.output === "text" && io.stdout.isTTY === true && !process.env.NO_COLOR;
  const rules = ALL_RULES.map((r) => ({ id: r.id, defaultAction: r.defaultAction, description: r.description, guide: r.guide }));
  writeBatched(
    io.stdout,
    renderChunks(args.output, report, {
      color,
      toolVersion: VERSION,
      rules,
      artifactUri: (file: string) => artifactUri(file, process.cwd()),
    }),
  );
  if (cluster?.listFailed) {
    io.stderr.write(
      "s3-vpce-guard check: rules that need every object of the cluster were not run, since a kind could not be listed (see the report's errors)\n",
    );
  }
  const empty = report.summary.resources === 0 && !args.allowEmpty;
  if (empty) fail(emptyMessage(args, cluster));
  if (report.errors.length > 0 || empty) return 2;
  return report.summary.deny > 0 ? 1 : 0;
}

/** Pieces of output joined into writes of about this many characters: few system calls, no whole-report string. */
const WRITE_BATCH_CHARS = 64 * 1024;

function writeBatched(stream: NodeJS.WritableStream, chunks: Iterable<string>): void {
  let batch: string[] = [];
  let size = 0;
  for (const chunk of chunks) {
    batch.push(chunk);
    size += chunk.length;
    if (size < WRITE_BATCH_CHARS) continue;
    stream.write(batch.join(""));
    batch = [];
    size = 0;
  }
  if (size > 0) stream.write(batch.join(""));
}

/** The files' objects, adapted a file at a time as they are parsed. */
async function adaptFiles(paths: string[], config: Config, io: CheckIo): Promise<{ inputs: AdaptedInputs; loadErrors: InputError[] }> {
  const adapter = new InputAdapter(config);
  const loaded = await loadInputs(paths, { stdin: io.stdin, onDocuments: (documents) => adapter.add(documents) });
  return { inputs: adapter.finish(), loadErrors: loaded.errors };
}

/** The cluster's objects and the files' (which replace the cluster's of the same identity), adapted together. */
async function adaptWithCluster(
  paths: string[],
  cluster: ClusterObjects,
  config: Config,
  io: CheckIo,
): Promise<{ inputs: AdaptedInputs; loadErrors: InputError[] }> {
  const loaded = paths.length > 0 ? await loadInputs(paths, { stdin: io.stdin }) : { documents: [], errors: [] };
  return { inputs: adaptInputs(mergeSources(cluster, loaded.documents.splice(0)), config), loadErrors: loaded.errors };
}

function emptyMessage(args: CheckArgs, cluster: ClusterObjects | undefined): string {
  const where: string[] = [];
  if (args.paths.length > 0) where.push(args.paths.map((p) => (p === "-" ? "<stdin>" : p)).join(", "));
  if (cluster) {
    where.push(
      cluster.servedKinds === 0
        ? `${cluster.label} (it serves none of the checked kinds: are the Crossplane or ACK CRDs installed?)`
        : cluster.label,
    );
  }
  const files = args.paths.filter((p) => p !== "-");
  const hint =
    files.length > 0
      ? "check the path (directories are searched for *.yaml, *.yml and *.json files), or pass"
      : args.paths.length > 0
        ? "check what is piped in, or pass"
        : "pass";
  return `no resource of a checked kind found in ${where.join(" and ")}; ${hint} --allow-empty to accept that`;
}

/** The same error twice (a parser reporting one spot twice) is shown once. */
function withoutDuplicates(errors: InputError[]): InputError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = JSON.stringify([e.file, e.line, e.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function readCluster(options: NonNullable<CheckArgs["cluster"]>, io: CheckIo): Promise<ClusterObjects | string> {
  // The Kubernetes client is large: only --cluster pays for it.
  const { loadKubeConfig } = await import("../platform/kube/kubeconfig.js");
  const { listCluster } = await import("../platform/kube/cluster-list.js");
  let kubeConfig;
  try {
    kubeConfig = loadKubeConfig({ context: options.context });
  } catch (error) {
    return `--cluster: ${(error as Error).message}`;
  }
  const context = kubeConfig.getCurrentContext();
  const label = `<cluster ${context}>`;
  const progress = io.stderr.isTTY === true ? new ProgressLine(io.stderr) : undefined;
  try {
    const listing = await listCluster({
      kubeConfig,
      namespace: options.namespace,
      onProgress: (p) => progress?.show(`listing ${context}: ${p.kindsDone}/${p.kinds} kinds, ${p.objects} objects read`),
    });
    return {
      label,
      objects: listing.objects.map((object) => ({ object, resource: identityOf(object) })),
      errors: listing.failures.map((f) => ({ file: label, line: null, message: f.message })),
      // With --namespace the other namespaces' objects are unseen: rules that need every
      // object would take a reference to one of them for a dangling one.
      complete: listing.failures.length === 0 && options.namespace === undefined,
      listFailed: listing.failures.length > 0,
      defaultNamespace: options.namespace ?? kubeConfig.getContextObject(context)?.namespace ?? "default",
      servedKinds: listing.listed.length,
    };
  } catch (error) {
    const { reasonOf } = await import("../platform/kube/informer.js");
    return `--cluster: cannot read the API of ${kubeConfig.getCurrentCluster()?.server ?? "the cluster"} (context ${context}): ${reasonOf(error)}; check that the cluster is reachable and the kubeconfig's credentials are valid`;
  } finally {
    progress?.clear();
  }
}

/** One line on a terminal, rewritten in place; cleared at the end so that nothing of it stays. */
class ProgressLine {
  constructor(private readonly stream: NodeJS.WritableStream) {}
  show(text: string): void {
    this.stream.write(`\r\u001b[K${text}`);
  }
  clear(): void {
    this.stream.write("\r\u001b[K");
  }
}

/** "Kind namespace/name" for messages about a cluster object. */
function identityOf(object: { kind?: unknown; metadata?: unknown }): string {
  const metadata = (object.metadata ?? {}) as { namespace?: unknown; name?: unknown };
  const name = typeof metadata.namespace === "string" ? `${metadata.namespace}/${String(metadata.name)}` : String(metadata.name);
  return `${String(object.kind)} ${name}`;
}

/**
 * group/kind/namespace/name: the same object whatever its version. A file's object without a
 * namespace, of a namespaced kind, is in the namespace kubectl would apply it to.
 */
function objectKey(object: unknown, defaultNamespace: string): string | undefined {
  if (typeof object !== "object" || object === null) return undefined;
  const o = object as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof o.apiVersion !== "string" || typeof o.kind !== "string" || typeof o.metadata?.name !== "string") return undefined;
  const group = o.apiVersion.includes("/") ? o.apiVersion.slice(0, o.apiVersion.indexOf("/")) : "";
  const declared = typeof o.metadata.namespace === "string" ? o.metadata.namespace : undefined;
  const namespaced = o.kind !== "Namespace" && (findKind(o.apiVersion, o.kind)?.namespaced ?? declared !== undefined);
  return JSON.stringify([group, o.kind, namespaced ? (declared ?? defaultNamespace) : "", o.metadata.name]);
}

/** Cluster objects, then the files' objects; a file's object replaces the cluster's of the same identity. */
function mergeSources(cluster: ClusterObjects, documents: LoadedDocument[]): SourcedObject[] {
  const fileKeys = new Set<string>();
  for (const d of documents) {
    const key = objectKey(d.object, cluster.defaultNamespace);
    if (key !== undefined) fileKeys.add(key);
  }
  const sources: SourcedObject[] = [];
  cluster.objects.forEach(({ object }, index) => {
    const key = objectKey(object, cluster.defaultNamespace);
    if (key === undefined || !fileKeys.has(key)) sources.push({ object, file: `${CLUSTER_SOURCE}${index}`, line: 0 });
  });
  for (const d of documents) sources.push(d);
  return sources;
}

/** Findings on cluster objects have no file; errors about them name the object and the cluster. */
function relabelClusterSources(report: ReturnType<typeof checkAdapted>, cluster: ClusterObjects): void {
  const resourceOf = (file: string | undefined): string | undefined =>
    file?.startsWith(CLUSTER_SOURCE) ? (cluster.objects[Number(file.slice(CLUSTER_SOURCE.length))]?.resource ?? "") : undefined;
  for (const finding of report.findings) {
    if (resourceOf(finding.file) === undefined) continue;
    delete finding.file;
    delete finding.line;
  }
  report.errors = report.errors.map((error) => {
    const resource = resourceOf(error.file);
    return resource === undefined ? error : { file: cluster.label, line: null, message: `${resource}: ${error.message}` };
  });
}
