import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { expect } from "vitest";
import { adapt } from "../../src/core/adapters/index.js";
import type { AdapterContext, AdapterIssue } from "../../src/core/adapters/types.js";
import type { ModelObject, ModelType } from "../../src/core/model/types.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const FIXTURES = path.join(REPO_ROOT, "test/fixtures");
export const EXAMPLES = path.join(REPO_ROOT, "examples");

/** Every document of a YAML file; YAML syntax errors fail the test. */
export function parseYaml(text: string, source: string): unknown[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value: unknown = doc.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

export function loadFixture(relative: string): unknown[] {
  const file = path.join(FIXTURES, relative);
  return parseYaml(readFileSync(file, "utf8"), file);
}

export function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) return yamlFilesUnder(full);
      return /\.ya?ml$/.test(entry) ? [full] : [];
    });
}

export function contextWith(namespaceDefaults: Record<string, string> = {}, defaultRegion = "us-east-1"): AdapterContext {
  const defaults = new Map(Object.entries(namespaceDefaults));
  return { namespaceDefaultRegion: (namespace) => defaults.get(namespace), defaultRegion };
}

export const ctx = contextWith({ "team-ledger": "eu-north-1" }, "us-east-1");

/** Adapts and asserts that the object was adapted into the expected model type. */
export function adaptAs<T extends ModelType>(
  raw: unknown,
  type: T,
  context: AdapterContext = ctx,
): { object: Extract<ModelObject, { type: T }>; issues: AdapterIssue[] } {
  const result = adapt(raw, context);
  if (result.status !== "adapted") throw new Error(`expected adapted, got ${JSON.stringify(result)}`);
  expect(result.object.type).toBe(type);
  return { object: result.object as Extract<ModelObject, { type: T }>, issues: result.issues };
}

/** The single document of a fixture file, adapted. */
export function fixtureAs<T extends ModelType>(relative: string, type: T, index = 0, context: AdapterContext = ctx) {
  const docs = loadFixture(relative);
  const doc = docs[index];
  if (doc === undefined) throw new Error(`${relative} has no document ${index}`);
  return adaptAs(doc, type, context);
}
