/**
 * Reads the CLI's inputs (files, directories, stdin) into Kubernetes objects with their
 * file and line, and turns every unreadable or unparsable input into an InputError.
 * Never throws: one bad file must not hide the findings of the others.
 */
import { createReadStream } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseSources } from "./parse-pool.js";
import { Composer, LineCounter, Parser, isMap, isNode, isSeq, type Document, type Node as YamlNode } from "yaml";
import type { KubeObject } from "../core/adapters/types.js";
import type { InputError } from "../core/model/report.js";
import { isRecord } from "../core/util/record.js";

export interface LoadedDocument {
  object: KubeObject;
  /** The path as given (joined with the relative path inside a directory); "-" for stdin. */
  file: string;
  /** 1-based line where the document (or the List item) starts. */
  line: number;
}

export interface LoadOptions {
  /** What `-` reads. A string is taken as the whole input. */
  stdin?: NodeJS.ReadableStream | string;
  /** Files (and stdin) larger than this are reported, not read. Default 32 MiB. */
  maxFileBytes?: number;
  /** Parse workers for large inputs (default: one per core, at most 4; 0 = parse in this thread). */
  parseWorkers?: number;
}

export interface LoadResult {
  documents: LoadedDocument[];
  errors: InputError[];
}

export const STDIN_PATH = "-";
export const DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024;
/** Aliases one document may expand; far above real manifests, far below an alias bomb. */
export const MAX_ALIAS_COUNT = 100;
/** `kind: List` inside `kind: List` is legal but never deep; this only stops runaway input. */
const MAX_LIST_DEPTH = 8;
/** Real manifests nest a few dozen levels; deeper input is an attack on recursive code. */
const MAX_NESTING_DEPTH = 1000;
const TOO_DEEP_MESSAGE = `document nests more than ${MAX_NESTING_DEPTH} levels deep; no manifest needs that, check the file`;
const MANIFEST_EXTENSION = /\.(ya?ml|json)$/i;

export async function loadInputs(paths: string[], opts: LoadOptions = {}): Promise<LoadResult> {
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const result: LoadResult = { documents: [], errors: [] };
  const seenFiles = new Set<string>();
  let stdinRead = false;

  const sources: SourceText[] = [];
  for (const path of paths) {
    if (path === STDIN_PATH) {
      if (stdinRead) continue;
      stdinRead = true;
      const text = await readStdin(opts.stdin, maxFileBytes, result.errors);
      if (text !== undefined) sources.push({ file: STDIN_PATH, text, syntax: "yaml" });
      continue;
    }
    for (const file of await listManifestFiles(path, result.errors)) {
      const identity = await realpath(file).catch(() => file);
      if (seenFiles.has(identity)) continue;
      seenFiles.add(identity);
      const text = await readManifestFile(file, maxFileBytes, result.errors);
      if (text !== undefined) sources.push({ file, text, syntax: /\.json$/i.test(file) ? "json" : "yaml" });
    }
  }
  for (const parsed of await parseSources(sources, opts.parseWorkers)) {
    // Loops, not push(...array): spreading 120k+ documents overflows the call stack.
    for (const document of parsed.documents) result.documents.push(document);
    for (const error of parsed.errors) result.errors.push(error);
  }
  return result;
}

/** One input's text, ready to parse. */
export interface SourceText {
  file: string;
  text: string;
  syntax: "yaml" | "json";
}

/** Parses one input; never throws. Runs in the main thread or in a parse worker. */
export function parseSource(source: SourceText): LoadResult {
  const result: LoadResult = { documents: [], errors: [] };
  parseSafely(result, source.file, source.text, source.syntax);
  return result;
}

// ---------------------------------------------------------------------------------------
// Finding and reading the inputs

/** A file given by name is read whatever its extension (and kind); inside directories only manifests. */
async function listManifestFiles(path: string, errors: InputError[]): Promise<string[]> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      const files: string[] = [];
      await walkDirectory(path, files, new Set([await realpath(path)]), errors);
      return files;
    }
    // Pipes too: `check <(kubectl get vpcendpoints -o yaml)` passes /dev/fd/N.
    return [path];
  } catch (error) {
    errors.push({ file: path, line: null, message: `cannot read: ${describeFsError(error)}` });
  }
  return [];
}

async function walkDirectory(dir: string, files: string[], visited: Set<string>, errors: InputError[]): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort(compareCodePoints);
  } catch (error) {
    errors.push({ file: dir, line: null, message: `cannot read directory: ${describeFsError(error)}` });
    return;
  }
  for (const name of names) {
    if (name.startsWith(".") || name === "node_modules") continue;
    const path = join(dir, name);
    // stat (not lstat) so symlinked files and folders are followed; `visited` stops loops.
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) continue; // dangling symlink or vanished file: nothing to check
    if (info.isDirectory()) {
      const real = await realpath(path).catch(() => path);
      if (visited.has(real)) continue;
      visited.add(real);
      await walkDirectory(path, files, visited, errors);
    } else if (info.isFile() && MANIFEST_EXTENSION.test(name)) {
      files.push(path);
    }
  }
}

async function readManifestFile(file: string, maxFileBytes: number, errors: InputError[]): Promise<string | undefined> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return await readStream(createReadStream(file), file, maxFileBytes, errors);
    if (info.size > maxFileBytes) {
      errors.push({ file, line: null, message: tooLargeMessage(info.size, maxFileBytes) });
      return undefined;
    }
    return stripByteOrderMark(await readFile(file, "utf8"));
  } catch (error) {
    errors.push({ file, line: null, message: `cannot read: ${describeFsError(error)}` });
    return undefined;
  }
}

async function readStdin(
  stdin: LoadOptions["stdin"],
  maxFileBytes: number,
  errors: InputError[],
): Promise<string | undefined> {
  if (stdin === undefined) {
    errors.push({ file: STDIN_PATH, line: null, message: "cannot read: no standard input was provided" });
    return undefined;
  }
  if (typeof stdin !== "string") return readStream(stdin, STDIN_PATH, maxFileBytes, errors);
  const size = Buffer.byteLength(stdin, "utf8");
  if (size > maxFileBytes) {
    errors.push({ file: STDIN_PATH, line: null, message: tooLargeMessage(size, maxFileBytes) });
    return undefined;
  }
  return stripByteOrderMark(stdin);
}

/** Reads until the end or until the limit is passed, whichever comes first. */
async function readStream(
  stream: NodeJS.ReadableStream,
  file: string,
  maxFileBytes: number,
  errors: InputError[],
): Promise<string | undefined> {
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream) {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk);
      size += buffer.length;
      if (size > maxFileBytes) {
        errors.push({ file, line: null, message: tooLargeMessage(size, maxFileBytes, "at least ") });
        return undefined;
      }
      chunks.push(buffer);
    }
    return stripByteOrderMark(Buffer.concat(chunks).toString("utf8"));
  } catch (error) {
    errors.push({ file, line: null, message: `cannot read: ${describeFsError(error)}` });
    return undefined;
  }
}

function tooLargeMessage(size: number, limit: number, qualifier = ""): string {
  return `cannot read: input is ${qualifier}${formatBytes(size)}, over the ${formatBytes(limit)} limit; split it into smaller files`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

function describeFsError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file or directory" : code === "EACCES" ? "permission denied" : undefined;
    if (code !== undefined && reason !== undefined) return `${code}: ${reason}`;
    return error.message;
  }
  return String(error);
}

function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------
// Parsing

/** The parser is not ours: whatever it throws becomes this file's error, never the CLI's crash. */
function parseSafely(result: LoadResult, file: string, text: string, syntax: "yaml" | "json"): void {
  try {
    parseInto(result, file, text, syntax);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    result.errors.push({ file, line: null, message: `cannot parse: ${reason}` });
  }
}

function parseInto(result: LoadResult, file: string, text: string, syntax: "yaml" | "json"): void {
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
    const message =
      problem === "cycle"
        ? "document contains an anchor that refers to itself; write the value out"
        : TOO_DEEP_MESSAGE;
    result.errors.push({ file, line, message });
    return;
  }
  collectObjects(result, file, value, line, document.contents, lineCounter, 0);
}

/** First line of a yaml error, after its column (file:line is shown apart). */
function yamlErrorMessage(message: string, column: number): string {
  const firstLine = (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
  return `column ${column}: ${firstLine}`;
}

function collectObjects(
  result: LoadResult,
  file: string,
  value: unknown,
  line: number,
  node: YamlNode | null | undefined,
  lineCounter: LineCounter,
  depth: number,
): void {
  if (!isRecord(value)) return;
  const { kind, apiVersion } = value;
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
    const itemNodes = listItemNodes(node);
    value.items.forEach((item: unknown, index) => {
      const itemNode = itemNodes[index];
      const itemLine = itemNode?.range ? lineCounter.linePos(itemNode.range[0]).line : line;
      collectObjects(result, file, withListTypeMeta(item, kind, apiVersion), itemLine, itemNode, lineCounter, depth + 1);
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

function listItemNodes(node: YamlNode | null | undefined): (YamlNode | undefined)[] {
  if (!isMap(node)) return [];
  const items = node.get("items", true);
  if (!isSeq(items)) return [];
  return items.items.map((item) => (isNode(item) ? item : undefined));
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
// error elsewhere, and JSON.parse does not always say where; this scanner does.

interface JsonSyntaxError {
  line: number;
  message: string;
}

function checkJson(text: string): { value: unknown; error?: undefined } | { error: JsonSyntaxError } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    const offset = firstJsonErrorOffset(text);
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
  return reason
    .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, "")
    .replace(/ in JSON at position \d+.*$/s, "")
    .replace(/ of JSON input$/, " of input")
    // eslint-disable-next-line no-control-regex -- escaping control characters is the point
    .replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

function lineAtOffset(text: string, offset: number): number {
  // An error at the end of input belongs to the last line that has content.
  const end = Math.min(offset, text.trimEnd().length);
  let line = 1;
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Offset of the first character that breaks RFC 8259 JSON (iterative: deep nesting is fine). */
export function firstJsonErrorOffset(text: string): number {
  let i = 0;
  const containers: ("{" | "[")[] = [];
  const skipWhitespace = (): void => {
    while (i < text.length && " \t\n\r".includes(text.charAt(i))) i++;
  };
  const scanString = (): boolean => {
    i++; // opening quote
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const escape = text.charAt(i + 1);
        if (escape === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if ('"\\/bfnrt'.includes(escape) && escape !== "") {
          i += 2;
        } else {
          i++;
          return false;
        }
      } else {
        i++;
      }
    }
    return false;
  };
  const scanNumber = (): boolean => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 1024));
    if (match === null || match[0] === "" || match[0] === "-") return false;
    i += match[0].length;
    // "01" or "1." stop the match early: the character after it is the error.
    return !/[0-9.eE+-]/.test(text.charAt(i));
  };
  const scanValue = (): boolean => {
    skipWhitespace();
    const c = text.charAt(i);
    if (c === "{" || c === "[") {
      containers.push(c);
      i++;
      return true;
    }
    if (c === '"') return scanString();
    if (c === "-" || (c >= "0" && c <= "9")) return scanNumber();
    for (const literal of ["true", "false", "null"]) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return true;
      }
    }
    return false;
  };
  const scanKey = (): boolean => {
    skipWhitespace();
    if (text.charAt(i) !== '"' || !scanString()) return false;
    skipWhitespace();
    if (text.charAt(i) !== ":") return false;
    i++;
    return true;
  };

  // Each loop turn reads one value, then what may follow it in its container.
  let expectValue = true;
  for (;;) {
    if (expectValue) {
      const openedAt = containers.length;
      if (!scanValue()) return i;
      if (containers.length > openedAt) {
        skipWhitespace();
        const close = containers.at(-1) === "{" ? "}" : "]";
        if (text.charAt(i) === close) {
          containers.pop();
          i++;
        } else {
          if (containers.at(-1) === "{" && !scanKey()) return i;
          continue;
        }
      }
    }
    skipWhitespace();
    const container = containers.at(-1);
    if (container === undefined) return i < text.length ? i : text.length + 1;
    const c = text.charAt(i);
    if (c === ",") {
      i++;
      if (container === "{" && !scanKey()) return i;
      expectValue = true;
    } else if ((container === "{" && c === "}") || (container === "[" && c === "]")) {
      containers.pop();
      i++;
      expectValue = false;
    } else {
      return i;
    }
  }
}
