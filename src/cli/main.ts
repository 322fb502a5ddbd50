#!/usr/bin/env -S node --max-semi-space-size=4
// A small young generation keeps peak memory of a large `check` well below the default
// (measured in bench/check-corpus.mjs) at no cost in time: most allocations are short-lived
// YAML parser nodes.
import { parseArgs } from "node:util";
import { RECONCILE_USAGE } from "./reconcile-usage.js";
import { SERVE_USAGE } from "./serve-usage.js";
import { VERSION } from "../version.js";

// Each command loads its own modules: `check` must not pay for express, the Kubernetes
// client and the AWS SDK (a third of its start-up time on a large corpus).

const USAGE = `Usage:
  s3-vpce-guard check [--config FILE] [--output text|json|sarif] [--aws [--ec2-endpoint URL]] PATH|- ...
      Check Crossplane / ACK manifests (files, directories, or - for stdin).
      --aws looks endpoint ids, VPCs and their regions and CIDRs up in EC2 (default AWS
      credential chain; --ec2-endpoint or AWS_ENDPOINT_URL_EC2 for emulators).
      Exit code: 0 no deny finding, 1 at least one deny finding, 2 unreadable input or bad config.
${SERVE_USAGE}${RECONCILE_USAGE}  s3-vpce-guard rules [--output text|json]
      List the rules, their default actions and guide sections.
  s3-vpce-guard --version | --help
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "--version" || command === "-v") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  // `COMMAND --help` anywhere before a "--": the usage on stdout, exit 0 (not an unknown flag).
  const end = rest.indexOf("--");
  if ((end === -1 ? rest : rest.slice(0, end)).some((a) => a === "--help" || a === "-h")) {
    const usage: Record<string, string> = { serve: SERVE_USAGE, reconcile: RECONCILE_USAGE };
    process.stdout.write(usage[command] !== undefined ? `Usage:\n${usage[command]}` : USAGE);
    return 0;
  }
  try {
    switch (command) {
      case "check": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            config: { type: "string", short: "c" },
            output: { type: "string", short: "o", default: "text" },
            aws: { type: "boolean", default: false },
            "ec2-endpoint": { type: "string" },
          },
        });
        return await (await import("./check.js")).runCheck({
          paths: positionals,
          configPath: values.config,
          output: values.output ?? "text",
          aws: values.aws === true || values["ec2-endpoint"] !== undefined,
          ec2Endpoint: values["ec2-endpoint"],
        });
      }
      case "rules": {
        const { values } = parseArgs({ args: rest, options: { output: { type: "string", short: "o", default: "text" } } });
        return (await import("./rules.js")).printRules(values.output ?? "text");
      }
      case "serve": {
        const { parseServeArgs, runServe } = await import("./serve.js");
        return await runServe(parseServeArgs(rest));
      }
      case "reconcile":
        return await (await import("./reconcile.js")).runReconcile(rest);
      case "cert": {
        const { values } = parseArgs({
          args: rest,
          options: {
            out: { type: "string", short: "o" },
            dns: { type: "string", multiple: true },
            days: { type: "string" },
          },
        });
        return await (await import("./cert.js")).runCert({ out: values.out, names: values.dns ?? [], days: values.days });
      }
      default:
        process.stderr.write(`s3-vpce-guard: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    // parseArgs throws on unknown flags: show the reason and the usage, exit 2.
    process.stderr.write(`s3-vpce-guard: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`s3-vpce-guard: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
