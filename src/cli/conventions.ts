/** Small helpers for the command line's manners (kubectl/helm conventions). */

/** The line after a usage error: where the command's usage is. */
export const seeHelp = (command: string): string => `Run 's3-vpce-guard ${command} --help' for usage.`;

/** The oldest Node.js major that package.json's `engines` supports. */
export const MIN_NODE_MAJOR = 22;

/**
 * The warning for a Node.js older than `engines` allows, or undefined. Older Nodes run the CLI
 * but start it at about half the speed (no compile cache for ESM); the fix is the project's
 * Node 24 (scripts/node24.sh).
 */
export function nodeVersionWarning(version: string): string | undefined {
  const major = Number(version.split(".")[0]);
  if (!Number.isInteger(major) || major >= MIN_NODE_MAJOR) return undefined;
  return `Node.js ${version} is older than ${MIN_NODE_MAJOR} (package.json "engines"); it works, at about half the start-up speed: put Node ${MIN_NODE_MAJOR} or newer on PATH (source scripts/node24.sh)`;
}

/** Names longer than this are not compared (a pasted blob is not a typo). */
const MAX_COMPARED_LENGTH = 64;

/** Levenshtein distance with two rows: O(a·b) time, O(b) memory, bounded by MAX_COMPARED_LENGTH. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The known name closest to a mistyped one, when it is close enough to be the one meant: a
 * prefix of it (`--allow` → `--allow-empty`) or a few edits away (a third of its length, at
 * least 2).
 */
export function nearestName(given: string, known: readonly string[]): string | undefined {
  if (given === "" || given.length > MAX_COMPARED_LENGTH) return undefined;
  const prefixed = known.filter((name) => name.startsWith(given));
  if (prefixed.length === 1) return prefixed[0];
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(given, name);
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  if (best === undefined) return undefined;
  return best.distance <= Math.max(2, Math.floor(given.length / 3)) ? best.name : undefined;
}
