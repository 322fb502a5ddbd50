import { isAbsolute, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

const STDIN_FILE = "-";
const STDIN_URI = "stdin";

/**
 * Relative URI with forward slashes for files under the base directory (code-scanning UIs
 * resolve it against the repository root); a file: URI for anything outside it.
 */
export function artifactUri(file: string, baseDirectory: string): string {
  if (file === STDIN_FILE) return STDIN_URI;
  const absolute = resolve(baseDirectory, file);
  const relativePath = relative(baseDirectory, absolute);
  if (relativePath === "" || relativePath === ".." || relativePath.startsWith(`..${sep}`) || isAbsolute(relativePath)) {
    return pathToFileURL(absolute).href;
  }
  return relativePath.split(sep).map(encodeURIComponent).join("/");
}
