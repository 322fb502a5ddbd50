// The benches' CPU breakdown: a window keeps only the samples taken in it, so a load step's
// per-request figures leave out the process's start-up (bench/webhook-load.mjs).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { breakdown } from "../../bench/profile-breakdown.mjs";

const dir = mkdtempSync(join(tmpdir(), "s3vg-breakdown-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Start-up (module compilation) for 10 ms from t=1000 µs, then 4 ms in a rule and 2 ms idle. */
function writeProfile(): string {
  const frame = (id: number, url: string, functionName: string) => ({ id, callFrame: { url, functionName, lineNumber: 0 } });
  const profile = {
    nodes: [
      frame(1, "node:internal/modules/esm/utils", "compileSourceTextModule"),
      frame(2, "file:///app/dist/src/core/rules/cross-region.js", "check"),
      frame(3, "", "(idle)"),
    ],
    startTime: 1000,
    endTime: 17_000,
    samples: [...Array<number>(10).fill(1), ...Array<number>(4).fill(2), ...Array<number>(2).fill(3)],
    timeDeltas: Array<number>(16).fill(1000),
  };
  const file = join(dir, "p.cpuprofile");
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

describe("profile breakdown", () => {
  it("counts every busy sample without a window", () => {
    const { busyMs, rows } = breakdown(writeProfile());
    expect(busyMs).toBe(14);
    expect(rows.map((r) => [r.label, r.ms])).toEqual([
      ["module loading and compilation (start-up)", 10],
      ["rules (core/rules)", 4],
    ]);
  });

  it("keeps only the samples taken inside the window", () => {
    // Samples fall at 2000, 3000, … µs: the rule's at 12000–15000.
    const { busyMs, rows } = breakdown(writeProfile(), { fromUs: 11_500, toUs: 20_000 });
    expect(busyMs).toBe(4);
    expect(rows).toEqual([{ label: "rules (core/rules)", ms: 4 }]);
  });
});
