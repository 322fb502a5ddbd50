import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/core/iam/index.js";
import { conditionsOnKey, exactValuesOnKey } from "../../src/core/iam/policy-query.js";

const doc = (vpce: string, key = "aws:SourceVpce") => {
  const parsed = parsePolicy(
    {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { StringNotEquals: { [key]: vpce } } },
        {
          Effect: "Allow",
          Principal: "*",
          Action: "s3:GetObject",
          Resource: "*",
          Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
        },
      ],
    },
    "bucket",
  );
  if (!parsed.document) throw new Error(JSON.stringify(parsed.issues));
  return parsed.document;
};

describe("conditionsOnKey", () => {
  it("finds conditions by key in any case, in statement order, and nothing for other keys", () => {
    const d = doc("vpce-1a2b3c4d", "AWS:SourceVPCE");
    expect(conditionsOnKey(d, "aws:sourcevpce").map((hit) => hit.condition.values)).toEqual([["vpce-1a2b3c4d"]]);
    expect(conditionsOnKey(d, "aws:SourceVpce")[0]!.statement).toBe(d.statements[0]);
    expect(conditionsOnKey(d, "aws:SourceIp")[0]!.statement).toBe(d.statements[1]);
    expect(conditionsOnKey(d, "aws:SourceVpc")).toEqual([]);
    expect(conditionsOnKey(undefined, "aws:SourceVpce")).toEqual([]);
  });

  it("answers each document for itself, also after many other documents were asked about", () => {
    const docs = Array.from({ length: 600 }, (_, i) => doc(`vpce-${i.toString(16).padStart(8, "0")}`));
    for (const [i, d] of docs.entries())
      expect([...exactValuesOnKey(d, "aws:SourceVpce")]).toEqual([`vpce-${i.toString(16).padStart(8, "0")}`]);
    // Asked again, in reverse: the first ones' answers were dropped from the bounded index and are found again.
    for (const [i, d] of [...docs.entries()].reverse())
      expect(conditionsOnKey(d, "AWS:SOURCEVPCE")[0]!.condition.values).toEqual([`vpce-${i.toString(16).padStart(8, "0")}`]);
  });
});
