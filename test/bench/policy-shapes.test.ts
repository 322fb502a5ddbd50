// bench/policy-shapes.mjs reviews the bucket-policy shapes platforms write, in three clusters.
// Its timings are for the README; what it must never show is a review of such a policy that
// runs out of its work limit ("not checked", a warning or a deny instead of the findings):
// at 40 statements a guard Deny with a grant per team did, before questions about denials
// searched the Deny statements only.
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");

describe("bench/policy-shapes.mjs", () => {
  it("reviews every shape in every cluster within the work limit", { timeout: 60_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["bench/policy-shapes.mjs", "--runs", "1", "--statements", "40"], {
      cwd: root,
    });
    const rows = stdout
      .split("\n")
      .filter((line) => line.startsWith("| ") && !line.startsWith("| cluster"))
      .map((line) => line.slice(2, -2).split(" | "));
    // 3 clusters × 8 shapes, each at 40 statements.
    expect(rows).toHaveLength(24);
    for (const [cluster, shape, statements, , , decision, findings, notChecked] of rows) {
      expect(statements).toBe("40");
      expect(["allowed", "warned", "denied"], `${cluster} / ${shape}`).toContain(decision);
      expect(Number(findings), `${cluster} / ${shape}`).toBeGreaterThanOrEqual(0);
      expect(notChecked, `${cluster} / ${shape}: ran out of the work limit`).toBe("");
    }
    // The guard-and-grants shape with its endpoint unknown: every missing id is reported.
    const guarded = rows.find(([cluster, shape]) => cluster!.startsWith("nothing else") && shape!.startsWith("guard Deny"));
    expect(guarded?.[6]).toBe("21");
  });
});
