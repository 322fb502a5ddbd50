/**
 * Parses one input's text (YAML or JSON) into Kubernetes objects with their file and line, and
 * turns every unparsable document into an InputError. Pure: runs in the main thread or in a
 * parse worker (parse-pool.ts), never throws.
 */
import { isRecord } from "../core/util/record.js";
import { createRequire } from "node:module";
import type { Document, LineCounter, Node as YamlNode } from "yaml";
import type { KubeObject } from "../core/adapters/types.js";
import { locateJsonError } from "../core/iam/json-error.js";
import type { InputError } from "../core/model/report.js";
import { parseManifestYaml } from "./manifest-yaml.js";

/**
 * The `yaml` package, loaded on first use: plain manifests and JSON never need it, and it is
 * a tenth of `check`'s start-up (bench/check-startup.mjs). Its Node build is CommonJS, so
 * require loads it synchronously.
 */
let yamlPackage: typeof import("yaml") | undefined;
function yaml(): typeof import("yaml") {
  yamlPackage ??= createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return yamlPackage;
}

export interface LoadedDocument {
  object: KubeObject;
  /** The path as given (joined with the relative path inside a directory); "-" for stdin. */
  file: string;
  /** 1-based line where the document (or the List item) starts. */
  line: number;
}

export interface LoadResult {
  documents: LoadedDocument[];
  errors: InputError[];
}

/** Aliases one document may expand; far above real manifests, far below an alias bomb. */
export const MAX_ALIAS_COUNT = 100;
/** `kind: List` inside `kind: List` is legal but never deep; this only stops runaway input. */
const MAX_LIST_DEPTH = 8;
/** Real manifests nest a few dozen levels; deeper input is an attack on recursive code. */
const MAX_NESTING_DEPTH = 1000;
const TOO_DEEP_MESSAGE = `document nests more than ${MAX_NESTING_DEPTH} levels deep; no manifest needs that, check the file`;
/** One input's text, ready to parse. */
export interface SourceText {
  file: string;
  text: string;
  syntax: "yaml" | "json";
}

export interface ParseOptions {
  /**
   * Read plain manifests with the fast reader (manifest-yaml.ts) and JSON with JSON.parse;
   * false parses everything with the `yaml` package (tests compare the two). Default true.
   */
  fastPaths?: boolean;
}

/** Parses one input; never throws. Runs in the main thread or in a parse worker. */
export function parseSource(source: SourceText, options: ParseOptions = {}): LoadResult {
  const result: LoadResult = { documents: [], errors: [] };
  parseSafely(result, source, options.fastPaths ?? true);
  return result;
}

/**
 * The input read by the fast paths alone, or undefined when it needs the `yaml` package
 * (parseSource with fastPaths false, in a worker for large inputs). Never throws.
 */
export function parseSourceFast(source: SourceText): LoadResult | undefined {
  const result: LoadResult = { documents: [], errors: [] };
  try {
    return readFast(result, source) ? result : undefined;
  } catch {
    return undefined; // the yaml path reports it
  }
}

// ---------------------------------------------------------------------------------------
// Parsing

/** The parser is not ours: whatever it throws becomes this file's error, never the CLI's crash. */
function parseSafely(result: LoadResult, { file, text, syntax }: SourceText, fastPaths: boolean): void {
  try {
    parseInto(result, file, text, syntax, fastPaths);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    result.errors.push({ file, line: null, message: `cannot parse: ${reason}` });
  }
}

/** JSON files through JSON.parse, plain YAML through the fast reader; false when neither applies. */
function readFast(result: LoadResult, { file, text, syntax }: SourceText): boolean {
  if (syntax === "yaml") return parseFast(result, file, text);
  const checked = checkJson(text);
  if (checked.error !== undefined) {
    result.errors.push({ file, ...checked.error });
    return true;
  }
  if (shapeProblem(checked.value) === "too-deep") {
    result.errors.push({ file, line: 1, message: TOO_DEEP_MESSAGE });
    return true;
  }
  // JSON.parse has read it all; only lists need the YAML parser, for their items' lines.
  if (isListDocument(checked.value)) return false;
  const line = lineAtOffset(text, text.length - text.trimStart().length);
  collectObjects(result, file, checked.value, { line, items: noItemLines }, 0);
  return true;
}

function parseInto(result: LoadResult, file: string, text: string, syntax: "yaml" | "json", fastPaths: boolean): void {
  if (fastPaths && readFast(result, { file, text, syntax })) return;
  if (syntax === "json") {
    const checked = checkJson(text);
    if (checked.error !== undefined) {
      result.errors.push({ file, ...checked.error });
      return;
    }
    // The YAML parser below recurses; refuse what would overflow it, with a clear message.
    if (shapeProblem(checked.value) === "too-deep") {
      result.errors.push({ file, line: 1, message: TOO_DEEP_MESSAGE });
      return;
    }
  }
  // Composer + Parser rather than parseAllDocuments: documents are converted one at a time,
  // so only one document's syntax tree is alive at once (a manifest bundle of many MiB
  // would otherwise hold every tree until the end).
  const { Composer, LineCounter, Parser } = yaml();
  const lineCounter = new LineCounter();
  const composer = new Composer({
    // JSON keeps the Kubernetes decoder's meaning (last key wins); YAML duplicates are an
    // error, as with kubectl.
    uniqueKeys: syntax === "yaml",
    // `<<` merge keys are honoured by the YAML library Kubernetes itself uses.
    merge: true,
  });
  const tokens = new Parser(lineCounter.addNewLine).parse(text);
  for (const document of composer.compose(tokens)) {
    readDocument(result, file, document, lineCounter);
  }
}

/** Where a document or List item starts, and (read only for lists) where its items start. */
interface Position {
  line: number;
  items(): (Position | undefined)[];
}

const noItemLines = (): [] => [];

/** The fast reader's verdict is all or nothing per file: a file it cannot read whole goes to `yaml`. */
class NeedsFullParser extends Error {}

/** Reads `text` with the fast manifest reader; false (and nothing added) when it declines. */
function parseFast(result: LoadResult, file: string, text: string): boolean {
  const documents = parseManifestYaml(text);
  if (documents === undefined) return false;
  const read: LoadResult = { documents: [], errors: [] };
  try {
    for (const { value, line, itemLines } of documents) {
      if (value === null || value === undefined) continue;
      // A List inside a List's item: only the general parser knows its items' lines.
      const nestedItems = (): never => {
        throw new NeedsFullParser();
      };
      const items = (): Position[] => (itemLines ?? []).map((itemLine) => ({ line: itemLine, items: nestedItems }));
      collectObjects(read, file, value, { line, items }, 0);
    }
  } catch (error) {
    if (error instanceof NeedsFullParser) return false;
    throw error;
  }
  for (const document of read.documents) result.documents.push(document);
  for (const error of read.errors) result.errors.push(error);
  return true;
}

function isListDocument(value: unknown): boolean {
  return isRecord(value) && typeof value.kind === "string" && isListKind(value.kind) && Array.isArray(value.items);
}

function readDocument(result: LoadResult, file: string, document: Document.Parsed, lineCounter: LineCounter): void {
  if (document.errors.length > 0) {
    // The parser recurses: input nested deeply enough overflows it, once per level it unwinds.
    const overflow = document.errors.find((error) => /call stack|stack overflow/i.test(error.message));
    if (overflow !== undefined) {
      result.errors.push({ file, line: lineCounter.linePos(overflow.pos[0]).line, message: TOO_DEEP_MESSAGE });
      return;
    }
    for (const error of document.errors) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      result.errors.push({ file, line, message: yamlErrorMessage(error.message, col) });
    }
    return;
  }
  const line = lineCounter.linePos(document.contents?.range[0] ?? document.range[0]).line;
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message =
      error instanceof ReferenceError && /alias/i.test(error.message)
        ? `document expands more than ${MAX_ALIAS_COUNT} YAML aliases (an alias bomb?); write the repeated parts out or use fewer anchors`
        : error instanceof RangeError
          ? TOO_DEEP_MESSAGE
          : `cannot read document: ${error instanceof Error ? error.message : String(error)}`;
    result.errors.push({ file, line, message });
    return;
  }
  if (value === null || value === undefined) return;
  const problem = shapeProblem(value);
  if (problem !== undefined) {
    const message = problem === "cycle" ? "document contains an anchor that refers to itself; write the value out" : TOO_DEEP_MESSAGE;
    result.errors.push({ file, line, message });
    return;
  }
  collectObjects(result, file, value, { line, items: () => itemPositions(document.contents, lineCounter) }, 0);
}

/** First line of a yaml error, after its column (file:line is shown apart). */
function yamlErrorMessage(message: string, column: number): string {
  const firstLine = (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
  return `column ${column}: ${firstLine}`;
}

function collectObjects(result: LoadResult, file: string, value: unknown, position: Position, depth: number): void {
  if (!isRecord(value)) return;
  const { kind, apiVersion } = value;
  const { line } = position;
  if (typeof kind !== "string") return; // Helm values, Chart.yaml, arbitrary config: not ours
  if (typeof apiVersion !== "string") {
    const problem = apiVersion === undefined ? "no apiVersion" : "an apiVersion that is not a string";
    result.errors.push({ file, line, message: `document has kind ${kind} but ${problem}; add apiVersion` });
    return;
  }
  if (isListKind(kind) && Array.isArray(value.items)) {
    if (depth >= MAX_LIST_DEPTH) {
      result.errors.push({ file, line, message: `${kind} nests lists more than ${MAX_LIST_DEPTH} deep; flatten it` });
      return;
    }
    const items = position.items();
    value.items.forEach((item: unknown, index) => {
      const itemPosition = items[index] ?? { line, items: noItemLines };
      collectObjects(result, file, withListTypeMeta(item, kind, apiVersion), itemPosition, depth + 1);
    });
    return;
  }
  const { metadata } = value;
  if (metadata !== undefined && metadata !== null && !isRecord(metadata)) {
    result.errors.push({ file, line, message: `${kind} has a metadata field that is not a mapping; make metadata a mapping with name` });
    return;
  }
  result.documents.push({ file, line, object: { ...value, apiVersion, kind, metadata: metadata ?? {} } });
}

/** `List` (v1) and typed lists such as `VPCEndpointList`. */
function isListKind(kind: string): boolean {
  return kind.endsWith("List");
}

/**
 * Items of a typed list (`VPCEndpointList`) may omit apiVersion and kind, as the API server
 * omits them; they are the list's. A plain `List` says nothing about its items.
 */
function withListTypeMeta(item: unknown, listKind: string, listApiVersion: string): unknown {
  if (!isRecord(item) || listKind === "List") return item;
  const kind = item.kind ?? listKind.slice(0, -"List".length);
  const apiVersion = item.apiVersion ?? listApiVersion;
  return { ...item, apiVersion, kind };
}

/** The positions of a List node's items (its `items` sequence). */
function itemPositions(node: YamlNode | null | undefined, lineCounter: LineCounter): (Position | undefined)[] {
  const { isMap, isNode, isSeq } = yaml();
  if (!isMap(node)) return [];
  const items = node.get("items", true);
  if (!isSeq(items)) return [];
  return items.items.map((item) =>
    isNode(item) && item.range
      ? { line: lineCounter.linePos(item.range[0]).line, items: () => itemPositions(item, lineCounter) }
      : undefined,
  );
}

/**
 * Aliases to an enclosing anchor make cyclic values, and absurd nesting overflows the stack
 * of every later recursive walk; both are refused here (iteratively, for the same reason).
 */
function shapeProblem(root: unknown): "cycle" | "too-deep" | undefined {
  if (typeof root !== "object" || root === null) return undefined;
  const onPath = new Set<object>();
  const finished = new Set<object>();
  const frames: { node: object; children: unknown[]; next: number }[] = [];
  const enter = (node: object): void => {
    onPath.add(node);
    frames.push({ node, children: Array.isArray(node) ? node : Object.values(node), next: 0 });
  };
  enter(root);
  for (let frame = frames.at(-1); frame !== undefined; frame = frames.at(-1)) {
    if (frames.length > MAX_NESTING_DEPTH) return "too-deep";
    if (frame.next >= frame.children.length) {
      frames.pop();
      onPath.delete(frame.node);
      finished.add(frame.node);
      continue;
    }
    const child = frame.children[frame.next++];
    if (typeof child !== "object" || child === null || finished.has(child)) continue;
    if (onPath.has(child)) return "cycle";
    enter(child);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// JSON syntax errors: the YAML parser accepts much that JSON does not and places the
// error elsewhere, and JSON.parse does not always say where; the shared locator does.

function checkJson(text: string): { value: unknown; error?: undefined } | { error: { line: number; message: string } } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    const offset = locateJsonError(text)?.offset ?? text.length;
    const line = lineAtOffset(text, offset);
    const atEnd = offset >= text.trimEnd().length;
    const column = offset - text.lastIndexOf("\n", offset - 1);
    const reason = shortJsonReason(error instanceof Error ? error.message : String(error));
    const where = atEnd ? "" : `column ${column}: `;
    return { error: { line, message: `${where}invalid JSON: ${reason}` } };
  }
}

/** V8's message without the echo of the input or its position (shown as file:line). */
function shortJsonReason(reason: string): string {
  return (
    reason
      .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, "")
      .replace(/ in JSON at position \d+.*$/s, "")
      .replace(/ of JSON input$/, " of input")
      // eslint-disable-next-line no-control-regex -- escaping control characters is the point
      .replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1))
  );
}

function lineAtOffset(text: string, offset: number): number {
  // An error at the end of input belongs to the last line that has content.
  const end = Math.min(offset, text.trimEnd().length);
  let line = 1;
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
