import { describe, expect, it } from "vitest";
import { artifactUri } from "../../src/platform/util/file-uri.js";
import { isOutputFormat, OUTPUT_FORMATS, render, renderJson, renderSarif, renderText } from "../../src/app/output/index.js";
import { sampleReport, sampleRules } from "./sample-report.js";

const options = { color: false, toolVersion: "0.0.1", rules: sampleRules, artifactUri: (file: string) => artifactUri(file, "/repo") };

describe("render", () => {
  it("dispatches each format to its renderer", () => {
    expect(render("text", sampleReport, options)).toBe(renderText(sampleReport, options));
    expect(render("json", sampleReport, options)).toBe(renderJson(sampleReport));
    expect(render("sarif", sampleReport, options)).toBe(renderSarif(sampleReport, options));
  });

  it("knows its formats", () => {
    expect(OUTPUT_FORMATS).toEqual(["text", "json", "sarif"]);
    expect(isOutputFormat("sarif")).toBe(true);
    expect(isOutputFormat("yaml")).toBe(false);
  });
});
