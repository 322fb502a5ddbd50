#!/usr/bin/env node
import { parseArgs } from "node:util";
import { runCheck } from "./check.js";
import { printRules } from "./rules.js";
import { VERSION } from "../version.js";

const USAGE = `Usage:
  s3-vpce-guard check [--config FILE] [--output text|json|sarif] PATH|- ...
      Check Crossplane / ACK manifests (files, directories, or - for stdin).
      Exit code: 0 no deny finding, 1 at least one deny finding, 2 unreadable input or bad config.
  s3-vpce-guard rules [--output text|json]
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
  try {
    switch (command) {
      case "check": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            config: { type: "string", short: "c" },
            output: { type: "string", short: "o", default: "text" },
          },
        });
        return await runCheck({ paths: positionals, configPath: values.config, output: values.output ?? "text" });
      }
      case "rules": {
        const { values } = parseArgs({ args: rest, options: { output: { type: "string", short: "o", default: "text" } } });
        return printRules(values.output ?? "text");
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
