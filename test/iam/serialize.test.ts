import { describe, expect, it } from "vitest";
import { parsePolicy, policiesEquivalent, serializePolicy } from "../../src/core/iam/index.js";
import { documentOf } from "./helpers.js";

const POLICY = {
  Version: "2012-10-17",
  Id: "p1",
  Statement: [
    {
      Sid: "deny-outside-endpoint",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
      Condition: { StringNotEquals: { "aws:SourceVpce": "vpce-1a2b3c4d" }, Bool: { "aws:SecureTransport": false } },
    },
    {
      Effect: "Allow",
      Principal: { AWS: ["123456789012"], Service: "logging.s3.amazonaws.com" },
      NotAction: "s3:Delete*",
      NotResource: "arn:aws:s3:::other/*",
    },
  ],
};

describe("serializePolicy", () => {
  it("writes IAM JSON with lists and string condition values", () => {
    expect(JSON.parse(serializePolicy(documentOf(POLICY)))).toEqual({
      Version: "2012-10-17",
      Id: "p1",
      Statement: [
        {
          Sid: "deny-outside-endpoint",
          Effect: "Deny",
          Principal: "*",
          Action: ["s3:*"],
          Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
          Condition: { StringNotEquals: { "aws:SourceVpce": ["vpce-1a2b3c4d"] }, Bool: { "aws:SecureTransport": ["false"] } },
        },
        {
          Effect: "Allow",
          Principal: { AWS: ["123456789012"], Service: ["logging.s3.amazonaws.com"] },
          NotAction: ["s3:Delete*"],
          NotResource: ["arn:aws:s3:::other/*"],
        },
      ],
    });
  });

  it("round-trips to the same document, single-object Statement included", () => {
    for (const input of [POLICY, { Statement: { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" } }]) {
      const first = documentOf(input);
      const second = documentOf(serializePolicy(first));
      expect(second).toEqual(first);
      expect(parsePolicy(serializePolicy(first), "bucket").issues).toEqual([]);
    }
  });
});

describe("policiesEquivalent", () => {
  const base = documentOf(POLICY);

  it("ignores statement order, value order, duplicates, Sid, Id and action case", () => {
    const reordered = documentOf({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: ["logging.s3.amazonaws.com"], AWS: "arn:aws:iam::123456789012:root" },
          NotAction: ["S3:DELETE*", "s3:Delete*"],
          NotResource: "arn:aws:s3:::other/*",
        },
        {
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: ["s3:*"],
          Resource: ["arn:aws:s3:::b/*", "arn:aws:s3:::b"],
          Condition: { Bool: { "aws:securetransport": "false" }, stringnotequals: { "AWS:SourceVpce": ["vpce-1a2b3c4d"] } },
        },
      ],
    });
    expect(policiesEquivalent(base, reordered)).toBe(true);
  });

  it("notices a changed value, effect, resource case or version", () => {
    const changed = (mutate: (policy: typeof POLICY) => void) => {
      const copy = structuredClone(POLICY);
      mutate(copy);
      return documentOf(copy);
    };
    expect(
      policiesEquivalent(
        base,
        changed((p) => (p.Statement[0]!.Condition!.StringNotEquals["aws:SourceVpce"] = "vpce-99999999")),
      ),
    ).toBe(false);
    expect(
      policiesEquivalent(
        base,
        changed((p) => (p.Statement[1]!.Effect = "Deny")),
      ),
    ).toBe(false);
    expect(
      policiesEquivalent(
        base,
        changed((p) => (p.Statement[0]!.Resource = ["arn:aws:s3:::B", "arn:aws:s3:::b/*"])),
      ),
    ).toBe(false);
    expect(
      policiesEquivalent(
        base,
        changed((p) => (p.Version = "2008-10-17")),
      ),
    ).toBe(false);
    expect(
      policiesEquivalent(
        base,
        changed((p) => p.Statement.pop()),
      ),
    ).toBe(false);
  });
});
