import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/core/iam/index.js";
import { conditionsOnKey, exactValuesOnKey, firstExactValuesOnKey, statementsWithKey } from "../../src/core/iam/policy-query.js";

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

describe("firstExactValuesOnKey and statementsWithKey", () => {
  const parsed = parsePolicy(
    {
      Version: "2012-10-17",
      Statement: [
        { Sid: "A", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" },
        {
          Sid: "B",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: "*",
          Condition: { StringNotEquals: { "aws:SourceVpce": ["vpce-1111aaaa", "vpce-*", "vpce-2222bbbb"] } },
        },
        {
          Sid: "C",
          Effect: "Allow",
          Principal: "*",
          Action: "s3:PutObject",
          Resource: "*",
          Condition: {
            StringEquals: { "AWS:SOURCEVPCE": ["vpce-2222bbbb", "vpce-3333cccc"] },
            IpAddress: { "aws:SourceIp": "192.0.2.0/24" },
          },
        },
        {
          Sid: "D",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: "*",
          Condition: { StringLike: { "aws:SourceVpce": "vpce-1111aaaa" }, NotIpAddress: { "aws:SourceIp": "198.51.100.0/24" } },
        },
      ],
    },
    "bucket",
  );
  const d = parsed.document!;

  it("lists each exact value once, where it first occurs (statement, condition, position), without patterns", () => {
    const first = firstExactValuesOnKey(d, "aws:sourcevpce").map((hit) => [hit.value, hit.statement.sid, hit.index]);
    expect(first).toEqual([
      ["vpce-1111aaaa", "B", 0],
      ["vpce-2222bbbb", "B", 2],
      ["vpce-3333cccc", "C", 1],
    ]);
    expect(firstExactValuesOnKey(d, "aws:SourceVpce")[2]!.condition).toBe(d.statements[2]!.conditions[0]);
    expect([...exactValuesOnKey(d, "aws:SourceVpce")]).toEqual(["vpce-1111aaaa", "vpce-2222bbbb", "vpce-3333cccc"]);
    expect(firstExactValuesOnKey(d, "aws:SourceVpc")).toEqual([]);
    expect(firstExactValuesOnKey(undefined, "aws:SourceVpce")).toEqual([]);
  });

  it("gives the same answer when asked again", () => {
    expect(firstExactValuesOnKey(d, "aws:SourceVpce")).toBe(firstExactValuesOnKey(d, "AWS:SourceVpce"));
  });

  it("lists the statements reading a key once each, in document order", () => {
    expect(statementsWithKey(d, "aws:SourceIp").map((s) => s.sid)).toEqual(["C", "D"]);
    expect(statementsWithKey(d, "aws:sourcevpce").map((s) => s.sid)).toEqual(["B", "C", "D"]);
    expect(statementsWithKey(d, "aws:PrincipalOrgID")).toEqual([]);
    expect(statementsWithKey(undefined, "aws:SourceIp")).toEqual([]);
  });
});
