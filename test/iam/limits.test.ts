import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/core/iam/index.js";
import { POLICY_LIMITS, textNestingBeyond } from "../../src/core/iam/parse.js";
import { withWorkBudget } from "../../src/core/iam/work-budget.js";

const statement = (extra: Record<string, unknown>) => ({
  Effect: "Allow",
  Principal: "*",
  Action: "s3:GetObject",
  Resource: "arn:aws:s3:::b/*",
  ...extra,
});
const policy = (extra: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [statement(extra)] });

describe("policy limits", () => {
  it("refuses nesting deeper than the documented depth, as text and as a value, without a RangeError", () => {
    const deep = `{"Version":"2012-10-17","Statement":${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}`;
    const parsed = parsePolicy(deep, "bucket");
    expect(parsed.document).toBeUndefined();
    expect(parsed.issues).toEqual([
      { path: "", severity: "error", message: expect.stringMatching(/more than 32 levels deep \(at line 1 column 68\)/) },
    ]);

    let value: unknown = "s3:GetObject";
    for (let depth = 0; depth < 100_000; depth += 1) value = [value];
    const structured = parsePolicy({ Version: "2012-10-17", Statement: [statement({ Action: value })] }, "bucket");
    expect(structured.issues[0]?.message).toMatch(/more than 32 levels deep/);
  });

  it("counts only brackets outside strings (escaped quotes included)", () => {
    const brackets = `[[[[{{{{\\"${"[".repeat(100)}`;
    expect(textNestingBeyond(JSON.stringify({ Sid: brackets, Statement: [{ Sid: "a\\" }] }), 32)).toBeUndefined();
    expect(textNestingBeyond(`{"a":"\\\\"${"[".repeat(40)}`, 32)).toBe(40);
  });

  it("finds nesting one level past the limit whether the text has few brackets or many", () => {
    const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
    expect(textNestingBeyond(nested(32), 32)).toBeUndefined();
    expect(textNestingBeyond(nested(33), 32)).toBe(32);
    // Many brackets side by side, none deep: counted past the limit, then scanned.
    expect(textNestingBeyond(`[${"{},".repeat(100)}{}]`, 32)).toBeUndefined();
    expect(textNestingBeyond(`[${"{},".repeat(100)}${nested(33)}]`, 32)).toBe(301 + 31); // inside the outer [, the 32nd nested bracket is level 33
    // Only the first scanChars characters count.
    expect(textNestingBeyond(`${nested(3)}${nested(40)}`, 32, 6)).toBeUndefined();
  });

  it("a policy at the limit's edge still reads (6 levels are all IAM needs)", () => {
    expect(parsePolicy(policy({ Condition: { StringEquals: { "aws:SourceVpce": ["vpce-1a2b3c4d"] } } }), "bucket").issues).toEqual([]);
  });

  it("makes an overlong or wildcard-heavy pattern a policy error that names the field and the fix", () => {
    const long = parsePolicy(policy({ Resource: `arn:aws:s3:::${"a".repeat(POLICY_LIMITS.maxPatternChars)}` }), "bucket");
    expect(long.issues).toEqual([
      {
        path: "Statement[0].Resource",
        severity: "error",
        message: expect.stringMatching(/is 2061 characters long, more than the 2048 s3-vpce-guard checks; shorten it/),
      },
    ]);
    const stars = parsePolicy(policy({ Action: `s3:${"*?".repeat(40)}Z` }), "bucket");
    expect(stars.issues).toEqual([
      {
        path: "Statement[0].Action",
        severity: "error",
        message: expect.stringMatching(/has 80 wildcards \(\* and \?\), more than the 64/),
      },
    ]);
    const condition = parsePolicy(policy({ Condition: { StringLike: { "aws:SourceVpce": "*".repeat(65) } } }), "bucket");
    expect(condition.issues[0]).toMatchObject({ path: 'Statement[0].Condition.StringLike["aws:SourceVpce"]', severity: "error" });
    expect(condition.issues[0]?.message.length).toBeLessThan(400);
  });

  it("refuses a policy text over 128 KiB before reading it", () => {
    const parsed = parsePolicy(policy({ Sid: "x".repeat(POLICY_LIMITS.maxPolicyChars) }), "bucket");
    expect(parsed.document).toBeUndefined();
    expect(parsed.issues).toEqual([
      {
        path: "",
        severity: "error",
        message: expect.stringMatching(
          /^policy is \d+ characters long, more than the 131072 s3-vpce-guard reads; AWS accepts at most 20 KB/,
        ),
      },
    ]);
  });

  it("keeps at most maxIssues issues and counts the rest in one closing issue", () => {
    const parsed = parsePolicy(policy({ Action: Array.from({ length: 10_000 }, () => 1) }), "bucket");
    expect(parsed.issues).toHaveLength(POLICY_LIMITS.maxIssues + 1);
    expect(parsed.issues.at(-1)).toEqual({
      path: "",
      severity: "error",
      message: expect.stringMatching(/^… and 9950 more problems in this policy/),
    });
  });

  it("never echoes a long value whole in a message", () => {
    const secret = `AKIA${"X".repeat(100_000)}`;
    const parsed = parsePolicy(policy({ Effect: secret }), "bucket");
    for (const issue of parsed.issues) expect(issue.message.length).toBeLessThanOrEqual(POLICY_LIMITS.maxMessageChars);
  });

  it("charges the work budget per element, so a huge policy ends the review instead of holding it", () => {
    const huge = policy({ Action: Array.from({ length: 8_000 }, (_, index) => `s3:Get${index}`) });
    expect(() => withWorkBudget(10_000, () => parsePolicy(huge, "bucket"))).toThrow(/work budget of 10000 steps exceeded while reading/);
    // Not cached after an exceeded budget: without a budget it parses in full.
    expect(parsePolicy(huge, "bucket").document?.statements[0]?.action).toHaveLength(8_000);
  });
});
