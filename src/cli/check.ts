import { defaultConfig, type Config } from "../config/schema.js";
import { loadConfigFile } from "../config/load.js";
import { checkObjects } from "../engine/check.js";
import { isOutputFormat, OUTPUT_FORMATS, render } from "../output/index.js";
import { ALL_RULES } from "../rules/registry.js";
import { VERSION } from "../version.js";
import { loadInputs } from "./load.js";

export interface CheckArgs {
  paths: string[];
  configPath: string | undefined;
  output: string;
  /** `--aws`: look ids, regions and VPC CIDRs up in EC2 (default credential chain). */
  aws?: boolean;
  /** `--ec2-endpoint URL` (emulators); AWS_ENDPOINT_URL_EC2 otherwise. */
  ec2Endpoint?: string | undefined;
}


/** `s3-vpce-guard check`: load, check with the shared engine, render; returns the exit code. */
export async function runCheck(args: CheckArgs): Promise<number> {
  if (!isOutputFormat(args.output)) {
    process.stderr.write(`s3-vpce-guard check: --output must be one of ${OUTPUT_FORMATS.join(", ")}, not "${args.output}"\n`);
    return 2;
  }
  if (args.paths.length === 0) {
    process.stderr.write("s3-vpce-guard check: give at least one file, directory, or - for stdin\n");
    return 2;
  }
  let config: Config = defaultConfig();
  if (args.configPath) {
    const loaded = await loadConfigFile(args.configPath);
    if (!loaded.ok) {
      for (const e of loaded.errors) process.stderr.write(`${e}\n`);
      return 2;
    }
    config = loaded.config;
  }
  const loaded = await loadInputs(args.paths, { stdin: process.stdin });
  // The AWS SDK is large: load it only when --aws asks for it.
  const aws = args.aws ? await (await import("../aws/cli.js")).prepareCliAws(loaded.documents.map((d) => d.object), { config, endpointFlag: args.ec2Endpoint }) : undefined;
  if (aws && !aws.ok) {
    process.stderr.write(`s3-vpce-guard check: ${aws.error}\n`);
    return 2;
  }
  if (aws?.notice) process.stderr.write(`s3-vpce-guard check: ${aws.notice}\n`);
  const report = checkObjects(loaded.documents.splice(0), { config, ...(aws ? { inventory: aws.inventory } : {}) });
  aws?.close();
  report.errors.unshift(...loaded.errors);
  const color = args.output === "text" && process.stdout.isTTY === true && !process.env.NO_COLOR;
  const rules = ALL_RULES.map((r) => ({ id: r.id, defaultAction: r.defaultAction, description: r.description, guide: r.guide }));
  process.stdout.write(render(args.output, report, { color, toolVersion: VERSION, rules }));
  if (report.errors.length > 0) return 2;
  return report.summary.deny > 0 ? 1 : 0;
}
