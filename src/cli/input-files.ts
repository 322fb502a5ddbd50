/**
 * Reads the CLI's inputs (files, directories, stdin) into Kubernetes objects with their
 * file and line, and turns every unreadable or unparsable input into an InputError.
 * Never throws: one bad file must not hide the findings of the others.
 *
 * Files and directories are read synchronously: the CLI has nothing else to do meanwhile, and
 * each asynchronous read waits for a libuv pool thread, which on a loaded machine added a
 * second of idle time to `check` on 10k resources (a CPU profile: idle between read chunks).
 */
import { createReadStream, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { forEachParsed } from "./parse-pool.js";
import type { LoadedDocument, LoadResult, SourceText } from "./parse-source.js";
import type { InputError } from "../core/model/report.js";

export type { LoadedDocument, LoadResult } from "./parse-source.js";

export interface LoadOptions {
  /** What `-` reads. A string is taken as the whole input. */
  stdin?: NodeJS.ReadableStream | string;
  /** Files (and stdin) larger than this are reported, not read. Default 32 MiB. */
  maxFileBytes?: number;
  /** Parse workers for large inputs (default: one per core, at most 4; 0 = parse in this thread). */
  parseWorkers?: number;
  /**
   * Takes each input's documents, in input order, as soon as they are parsed; they are then
   * not kept in the result's `documents` (a large input is consumed a file at a time).
   */
  onDocuments?: (documents: LoadedDocument[]) => void;
}

export const STDIN_PATH = "-";
export const DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024;
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
      const identity = orElse(() => realpathSync(file), file);
      if (seenFiles.has(identity)) continue;
      seenFiles.add(identity);
      const text = await readManifestFile(file, maxFileBytes, result.errors);
      if (text !== undefined) sources.push({ file, text, syntax: /\.json$/i.test(file) ? "json" : "yaml" });
    }
  }
  const { onDocuments } = opts;
  await forEachParsed(sources, opts.parseWorkers, (parsed) => {
    if (onDocuments) onDocuments(parsed.documents);
    // Loops, not push(...array): spreading 120k+ documents overflows the call stack.
    else for (const document of parsed.documents) result.documents.push(document);
    for (const error of parsed.errors) result.errors.push(error);
  });
  return result;
}

// ---------------------------------------------------------------------------------------
// Finding and reading the inputs

/** A file given by name is read whatever its extension (and kind); inside directories only manifests. */
async function listManifestFiles(path: string, errors: InputError[]): Promise<string[]> {
  try {
    const info = statSync(path);
    if (info.isDirectory()) {
      const files: string[] = [];
      await walkDirectory(path, files, new Set([realpathSync(path)]), errors);
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
    names = readdirSync(dir).sort(compareCodePoints);
  } catch (error) {
    errors.push({ file: dir, line: null, message: `cannot read directory: ${describeFsError(error)}` });
    return;
  }
  for (const name of names) {
    if (name.startsWith(".") || name === "node_modules") continue;
    const path = join(dir, name);
    // stat (not lstat) so symlinked files and folders are followed; `visited` stops loops.
    const info = orElse(() => statSync(path), undefined);
    if (info === undefined) continue; // dangling symlink or vanished file: nothing to check
    if (info.isDirectory()) {
      const real = orElse(() => realpathSync(path), path);
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
    const info = statSync(file);
    if (!info.isFile()) return await readStream(createReadStream(file), file, maxFileBytes, errors);
    if (info.size > maxFileBytes) {
      errors.push({ file, line: null, message: tooLargeMessage(info.size, maxFileBytes) });
      return undefined;
    }
    return stripByteOrderMark(readFileSync(file, "utf8"));
  } catch (error) {
    errors.push({ file, line: null, message: `cannot read: ${describeFsError(error)}` });
    return undefined;
  }
}

async function readStdin(stdin: LoadOptions["stdin"], maxFileBytes: number, errors: InputError[]): Promise<string | undefined> {
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

function orElse<T, U>(read: () => T, fallback: U): T | U {
  try {
    return read();
  } catch {
    return fallback;
  }
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
