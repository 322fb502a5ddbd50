import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import { isValidTimeZone } from "../../core/engine/change-windows.js";
import { defaultConfig } from "../../core/config.js";
import { configSchema, type Config } from "./schema.js";

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), "");
}

/** Validates a parsed config object; one message per problem, each naming the field. */
export function parseConfig(input: unknown, source = "config"): ConfigResult {
  const parsed = configSchema.safeParse(input ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => `${source}: ${formatPath(issue.path) || "(top level)"}: ${issue.message}`),
    };
  }
  const errors: string[] = [];
  parsed.data.changeWindows.forEach((w, i) => {
    if (!isValidTimeZone(w.timezone)) {
      errors.push(
        `${source}: changeWindows[${i}].timezone: unknown time zone "${w.timezone}"; use an IANA name such as UTC or Europe/Berlin`,
      );
    }
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config: parsed.data };
}

/** Parses config YAML text (the ConfigMap body, the CLI's --config file). */
export function parseConfigText(text: string, source: string): ConfigResult {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => `${source}:${e.linePos?.[0]?.line ?? 1}: ${e.message.split("\n")[0]}`),
    };
  }
  let value: unknown;
  try {
    // toJS() throws on what the parser lets through: an alias with no anchor, an alias bomb.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, errors: [`${source}: ${(error as Error).message}; write the configuration as plain YAML`] };
  }
  return parseConfig(value, source);
}

export async function loadConfigFile(path: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    return { ok: false, errors: [`${path}: cannot read config: ${(err as Error).message}`] };
  }
  return parseConfigText(text, path);
}

/** For long-running commands: the config file, or the defaults without one; throws one Error listing every problem. */
export async function loadConfigOrDefault(path: string | undefined): Promise<Config> {
  if (!path) return defaultConfig();
  const loaded = await loadConfigFile(path);
  if (!loaded.ok) throw new Error(loaded.errors.join("\n"));
  return loaded.config;
}
