/**
 * The CLI's commands (main.ts is the entry). Each command loads its own modules, its usage
 * text included: `check` must not pay for express, the Kubernetes client, the AWS SDK or the
 * logger (bench/check-startup.mjs).
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { nearestName, nodeVersionWarning, seeHelp } from "./conventions.js";
import { VERSION } from "../platform/version.js";

const CHECK_USAGE = `  s3-vpce-guard check [flags] PATH|- ...
  s3-vpce-guard check --cluster [--context NAME] [--namespace NS] [flags] [PATH ...]
      Check Crossplane / ACK manifests (files, directories, or - for stdin) and, with --cluster,
      the objects of a live cluster (read-only: list only, nothing is installed or written).
`;

const CHECK_HELP = `Flags:
  -c, --config FILE         rule actions and defaults (README "Configuration")
  -o, --output FORMAT       text (default), json or sarif
      --cluster             also check every watched kind of the kubeconfig context's cluster;
                            files given beside it replace cluster objects of the same identity
      --context NAME        kubeconfig context for --cluster (default: the current context)
  -n, --namespace NS        with --cluster: namespaced kinds from NS only (cluster-scoped kinds are read whole)
      --allow-empty         exit 0 (not 2) when no resource of a checked kind is found
      --aws                 look endpoint ids, VPCs, their regions and CIDRs up in EC2 (default credential chain)
      --ec2-endpoint URL    EC2 endpoint for emulators (or AWS_ENDPOINT_URL_EC2); implies --aws

Examples:
  s3-vpce-guard check manifests/
  kubectl get vpcendpoints.ec2.aws.upbound.io -o yaml | s3-vpce-guard check -
  s3-vpce-guard check --output sarif manifests/ > s3-vpce-guard.sarif
  s3-vpce-guard check --cluster --context prod
  s3-vpce-guard check --cluster my-change.yaml     # a change against the live state, before applying it

Exit codes: 0 no deny finding; 1 at least one deny finding; 2 unreadable input, no resource of a
checked kind found (unless --allow-empty), a kind the cluster would not list, or bad config.
`;

const RULES_USAGE = `  s3-vpce-guard rules [--output text|json]
      List the rules, their default actions and guide sections.
`;

const RULES_HELP = `Examples:
  s3-vpce-guard rules
  s3-vpce-guard rules --output json
`;

const USAGE = `s3-vpce-guard checks S3 VPC endpoints, buckets and bucket policies (Crossplane and ACK) against
the AWS guide "Endpoints for Amazon S3".

Usage:
  s3-vpce-guard COMMAND [flags]

Commands:
  check       Check manifests, stdin, or a live cluster (--cluster)
  explain     Why a request to a bucket through an S3 endpoint is allowed or denied
  map         Draw VPCs → S3 endpoints → buckets and what gets through (DOT, Mermaid)
  rules       List the rules
  serve       Run the admission webhook (and the reconciler, with a cluster)
  reconcile   Audit a cluster continuously into PolicyReports, Events and metrics
  cert        Write a self-signed CA and serving certificate for serve
  version     Print the version (also --version)

Run 's3-vpce-guard COMMAND --help' for a command's flags and examples.
`;

interface CommandText {
  usage: string;
  help: string;
  options: ParseArgsOptionsConfig;
}

interface Command {
  /** Usage, examples and flags; loaded with the command's module when they live there. */
  text(): CommandText | Promise<CommandText>;
  run(args: string[]): Promise<number>;
}

const CHECK_OPTIONS = {
  config: { type: "string", short: "c" },
  output: { type: "string", short: "o", default: "text" },
  aws: { type: "boolean", default: false },
  "ec2-endpoint": { type: "string" },
  cluster: { type: "boolean", default: false },
  context: { type: "string" },
  namespace: { type: "string", short: "n" },
  "allow-empty": { type: "boolean", default: false },
} as const;

const RULES_OPTIONS = { output: { type: "string", short: "o", default: "text" } } as const;

const CERT_OPTIONS = {
  out: { type: "string", short: "o" },
  dns: { type: "string", multiple: true },
  days: { type: "string" },
} as const;

const COMMANDS: Record<string, Command> = {
  check: {
    text: () => ({ usage: CHECK_USAGE, help: CHECK_HELP, options: CHECK_OPTIONS }),
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: CHECK_OPTIONS });
      if (!values.cluster && (values.context !== undefined || values.namespace !== undefined)) {
        throw new Error(`--${values.context !== undefined ? "context" : "namespace"} only applies with --cluster`);
      }
      return (await import("./check.js")).runCheck({
        paths: positionals,
        configPath: values.config,
        output: values.output,
        aws: values.aws || values["ec2-endpoint"] !== undefined,
        ec2Endpoint: values["ec2-endpoint"],
        allowEmpty: values["allow-empty"],
        ...(values.cluster ? { cluster: { context: values.context, namespace: values.namespace } } : {}),
      });
    },
  },
  explain: {
    text: async () => {
      const { EXPLAIN_HELP, EXPLAIN_OPTIONS, EXPLAIN_USAGE } = await import("./explain-usage.js");
      return { usage: EXPLAIN_USAGE, help: EXPLAIN_HELP, options: EXPLAIN_OPTIONS };
    },
    async run(args) {
      return (await import("./explain.js")).runExplain(args);
    },
  },
  map: {
    text: async () => {
      const { MAP_HELP, MAP_OPTIONS, MAP_USAGE } = await import("./explain-usage.js");
      return { usage: MAP_USAGE, help: MAP_HELP, options: MAP_OPTIONS };
    },
    async run(args) {
      return (await import("./map.js")).runMap(args);
    },
  },
  rules: {
    text: () => ({ usage: RULES_USAGE, help: RULES_HELP, options: RULES_OPTIONS }),
    async run(args) {
      const { values } = parseArgs({ args, options: RULES_OPTIONS });
      return (await import("./rules.js")).printRules(values.output);
    },
  },
  serve: {
    text: async () => {
      const { SERVE_EXAMPLES, SERVE_OPTIONS, SERVE_USAGE } = await import("./serve-usage.js");
      return { usage: SERVE_USAGE, help: SERVE_EXAMPLES, options: SERVE_OPTIONS };
    },
    async run(args) {
      const { parseServeArgs, runServe } = await import("./serve.js");
      return runServe(parseServeArgs(args));
    },
  },
  reconcile: {
    text: async () => {
      const { RECONCILE_EXAMPLES, RECONCILE_OPTIONS, RECONCILE_USAGE } = await import("./reconcile-usage.js");
      return { usage: RECONCILE_USAGE, help: RECONCILE_EXAMPLES, options: RECONCILE_OPTIONS };
    },
    async run(args) {
      return (await import("./reconcile.js")).runReconcile(args);
    },
  },
  cert: {
    text: async () => {
      const { CERT_EXAMPLES, CERT_USAGE } = await import("./serve-usage.js");
      return { usage: CERT_USAGE, help: CERT_EXAMPLES, options: CERT_OPTIONS };
    },
    async run(args) {
      const { values } = parseArgs({ args, options: CERT_OPTIONS });
      return (await import("./cert.js")).runCert({ out: values.out, names: values.dns ?? [], days: values.days });
    },
  },
};

/** Own entries only: "constructor" or "__proto__" is not a command. */
const commandNamed = (name: string): Command | undefined => (Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined);

/**
 * The first flag that the command does not know, as kubectl names it, with the nearest known
 * one. Values of string flags are skipped (`--context -x` is a value, not a flag).
 */
function unknownFlag(command: string, args: string[], options: ParseArgsOptionsConfig): string | undefined {
  const long = Object.keys(options);
  const short = new Map(Object.entries(options).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--") break;
    let name: string | undefined;
    if (arg.startsWith("--")) {
      name = arg.slice(2).split("=")[0] ?? "";
      if (!long.includes(name)) {
        const nearest = nearestName(name, long);
        return `unknown flag --${name}${nearest ? `; did you mean --${nearest}?` : ""}\n${seeHelp(command)}`;
      }
      if (arg.includes("=")) continue;
    } else if (arg.startsWith("-") && arg.length > 1) {
      const letter = arg.charAt(1);
      name = short.get(letter);
      if (name === undefined) return `unknown flag -${letter}\n${seeHelp(command)}`;
      if (arg.length > 2) continue;
    }
    if (name !== undefined && options[name]?.type === "string") i++;
  }
  return undefined;
}

/** node:util's parse errors in the words of the rest of the CLI. */
function parseErrorMessage(error: Error & { code?: string }): string {
  const missing = /^Option '(-\w, )?(--[\w-]+) <value>' argument (missing|is ambiguous)/.exec(error.message);
  if (missing) return `${missing[2]} needs a value (${missing[2]}=VALUE when the value starts with -)`;
  const noValue = /^Option '(--[\w-]+)' does not take an argument/.exec(error.message);
  if (noValue) return `${noValue[1]} is a switch and takes no value`;
  const positional = /^Unexpected argument '(.*)'/s.exec(error.message);
  if (positional) return `unexpected argument "${positional[1]}": this command takes flags only`;
  return error.message.split("\n")[0] ?? error.message;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const warning = nodeVersionWarning(process.versions.node);
  if (warning) {
    // The long-running commands log JSON lines; a terminal gets one plain line.
    process.stderr.write(
      command === "serve" || command === "reconcile"
        ? `${JSON.stringify({ level: "warn", time: new Date().toISOString(), pid: process.pid, name: "s3-vpce-guard", msg: warning })}\n`
        : `s3-vpce-guard: warning: ${warning}\n`,
    );
  }
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    const topic = command === "help" ? rest[0] : undefined;
    const chosen = topic === undefined ? undefined : await commandNamed(topic)?.text();
    process.stdout.write(chosen ? `Usage:\n${chosen.usage}\n${chosen.help}` : USAGE);
    return 0;
  }
  if (command === "--version" || command === "-v" || command === "version") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const spec = commandNamed(command);
  const text = await spec?.text();
  if (spec === undefined || text === undefined) {
    const nearest = nearestName(command, Object.keys(COMMANDS));
    process.stderr.write(
      `s3-vpce-guard: unknown command "${command}"${nearest ? `; did you mean "${nearest}"?` : ""}\nRun 's3-vpce-guard --help' for the commands.\n`,
    );
    return 2;
  }
  // `COMMAND --help` anywhere before a "--": that command's usage on stdout, exit 0.
  const end = rest.indexOf("--");
  if ((end === -1 ? rest : rest.slice(0, end)).some((a) => a === "--help" || a === "-h")) {
    process.stdout.write(`Usage:\n${text.usage}\n${text.help}`);
    return 0;
  }
  const unknown = unknownFlag(command, rest, text.options);
  if (unknown !== undefined) {
    process.stderr.write(`s3-vpce-guard ${command}: ${unknown}\n`);
    return 2;
  }
  try {
    return await spec.run(rest);
  } catch (err) {
    // Bad flag values: the reason in one line and where the usage is, exit 2.
    const message = parseErrorMessage(err as Error & { code?: string });
    if (process.env.LOG_LEVEL === "debug") process.stderr.write(`${(err as Error).stack ?? ""}\n`);
    process.stderr.write(`s3-vpce-guard ${command}: ${message}\n${seeHelp(command)}\n`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // `check --cluster` may leave a request to an API server that never answered (it timed
    // out): the CLI is done, so it exits once its output is flushed instead of waiting for it.
    if (["check", "explain", "map"].includes(process.argv[2] ?? "") && process.argv.includes("--cluster"))
      process.stdout.write("", () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`s3-vpce-guard: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
