/** The CLI's output formats behind one call. */
import type { CheckReport } from "../../core/model/report.js";
import { renderJson } from "./json.js";
import { renderSarif, type SarifOptions } from "./sarif.js";
import { renderText, type TextOptions } from "./text.js";

export { renderJson } from "./json.js";
export { renderSarif, type SarifOptions, type SarifRuleDescriptor } from "./sarif.js";
export { renderText, type TextOptions } from "./text.js";

export const OUTPUT_FORMATS = ["text", "json", "sarif"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type RenderOptions = TextOptions & SarifOptions;

export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

export function render(format: OutputFormat, report: CheckReport, opts: RenderOptions): string {
  switch (format) {
    case "text":
      return renderText(report, opts);
    case "json":
      return renderJson(report);
    case "sarif":
      return renderSarif(report, opts);
  }
}
