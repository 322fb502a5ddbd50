// Temp folders that tests make are removed by the tests that made them: a run leaves
// nothing under the OS temp directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, onTestFinished } from "vitest";

const remove = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** A fresh folder `<tmp>/<prefix>XXXXXX`, removed when the current test ends (pass or fail). Call inside `it`. */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => remove(dir));
  return dir;
}

/**
 * For folders made in `beforeAll` or shared by several tests: call at collection (file or
 * `describe` level); the returned maker's folders are removed in that scope's `afterAll`.
 */
export function suiteTempDirs(): (prefix: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) remove(dir);
  });
  return (prefix) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
