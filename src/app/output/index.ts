/** The CLI's output formats behind one call. */
import type { CheckReport } from "../../core/model/report.js";
import { renderJson, renderJsonChunks } from "./json.js";
import { renderSarif, type SarifOptions } from "./sarif.js";
import { renderText, type TextOptions } from "./text.js";

export { renderJson, renderJsonChunks } from "./json.js";
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

/**
 * The same text as render, in pieces to write one after the other: JSON comes a finding at a
 * time (a large report is never one string); text and SARIF come whole.
 */
export function renderChunks(format: OutputFormat, report: CheckReport, opts: RenderOptions): Iterable<string> {
  return format === "json" ? renderJsonChunks(report) : [render(format, report, opts)];
}
