import { describe, expect, it } from "vitest";
import { CONDITION_OPERATORS, parseConditionOperator, parseDate } from "../../src/core/iam/index.js";
import { conditionHolds, decide, documentOf } from "./helpers.js";

const KEY = "test:Key";

/** [operator, policy value(s), request value(s) or undefined for absent, expected] */
type Case = [string, unknown, string | string[] | undefined, boolean];

function check(cases: Case[]): void {
  it.each(cases)("%s %j vs request %j → %s", (operator, policyValue, requestValue, expected) => {
    const context = requestValue === undefined ? {} : { [KEY]: requestValue };
    expect(conditionHolds({ [operator]: { [KEY]: policyValue } }, context)).toBe(expected);
  });
}

describe("string operators", () => {
  check([
    ["StringEquals", "vpce-1a2b3c4d", "vpce-1a2b3c4d", true],
    ["StringEquals", "vpce-1a2b3c4d", "VPCE-1A2B3C4D", false],
    ["StringEquals", ["a", "b"], "b", true],
    ["StringEquals", "a*", "abc", false],
    ["StringEquals", "a${*}", "a*", true],
    ["StringEquals", "vpce-1", undefined, false],
    ["StringNotEquals", "vpce-1", "vpce-2", true],
    ["StringNotEquals", "vpce-1", "vpce-1", false],
    ["StringNotEquals", ["vpce-1", "vpce-2"], "vpce-2", false],
    ["StringNotEquals", "vpce-1", undefined, true],
    ["StringEqualsIgnoreCase", "Finance", "fINANCE", true],
    ["StringEqualsIgnoreCase", "Finance", "Legal", false],
    ["StringNotEqualsIgnoreCase", "Finance", "FINANCE", false],
    ["StringNotEqualsIgnoreCase", "Finance", "legal", true],
    ["StringNotEqualsIgnoreCase", "Finance", undefined, true],
    ["StringLike", "vpce-*", "vpce-1a2b3c4d", true],
    ["StringLike", "vpce-????????", "vpce-1a2b3c4d", true],
    ["StringLike", "vpce-???", "vpce-1a2b3c4d", false],
    ["StringLike", "VPCE-*", "vpce-1a2b3c4d", false],
    ["StringLike", "a${*}b", "a*b", true],
    ["StringLike", "a${*}b", "axb", false],
    ["StringLike", "a${?}", "a?", true],
    ["StringLike", "${aws:username}", "${aws:username}", true],
    ["StringLike", "${aws:username}", "alice", false],
    ["StringLike", "x.*", "xyz", false],
    ["StringLike", "vpce-*", undefined, false],
    ["StringNotLike", "vpce-*", "vpc-1", true],
    ["StringNotLike", "vpce-*", "vpce-1", false],
    ["StringNotLike", "vpce-*", undefined, true],
  ]);
});

describe("numeric operators", () => {
  check([
    ["NumericEquals", "10", "10", true],
    ["NumericEquals", 10, "10.0", true],
    ["NumericEquals", "10", "11", false],
    ["NumericEquals", "10", "ten", false],
    ["NumericNotEquals", "10", "11", true],
    ["NumericNotEquals", "10", "10", false],
    ["NumericNotEquals", "10", undefined, true],
    ["NumericLessThan", "10", "9", true],
    ["NumericLessThan", "10", "10", false],
    ["NumericLessThanEquals", "10", "10", true],
    ["NumericLessThanEquals", "10", "11", false],
    ["NumericGreaterThan", "10", "11", true],
    ["NumericGreaterThan", "10", "10", false],
    ["NumericGreaterThanEquals", "10", "10", true],
    ["NumericGreaterThanEquals", "10", "9.5", false],
    ["NumericGreaterThan", "10", undefined, false],
  ]);
});

describe("date operators", () => {
  check([
    ["DateEquals", "2025-01-31T12:00:00Z", "2025-01-31T12:00:00Z", true],
    ["DateEquals", "2025-01-31T12:00:00Z", "1738324800", true],
    ["DateEquals", "2025-01-31T13:00:00+01:00", "2025-01-31T12:00:00Z", true],
    ["DateEquals", "2025-01-31", "2025-01-31T00:00:00Z", true],
    ["DateNotEquals", "2025-01-31T12:00:00Z", "2025-01-31T12:00:01Z", true],
    ["DateNotEquals", "2025-01-31T12:00:00Z", undefined, true],
    ["DateLessThan", "2025-01-31T12:00:00Z", "2025-01-01T00:00:00Z", true],
    ["DateLessThan", "2025-01-31T12:00:00Z", "2025-02-01T00:00:00Z", false],
    ["DateLessThanEquals", "2025-01-31T12:00:00Z", "2025-01-31T12:00:00Z", true],
    ["DateGreaterThan", "2025-01-31T12:00:00Z", "2026-01-01T00:00:00Z", true],
    ["DateGreaterThan", "2025-01-31T12:00:00Z", "not a date", false],
    ["DateGreaterThanEquals", "1738324800", "2025-01-31T12:00:00Z", true],
    ["DateGreaterThanEquals", "1738324800", "2025-01-31T11:59:59Z", false],
  ]);

  it("reads ISO-8601 without a zone as UTC and epoch seconds as seconds", () => {
    expect(parseDate("2025-01-31T12:00:00")).toBe(Date.UTC(2025, 0, 31, 12));
    expect(parseDate("0")).toBe(0);
    expect(parseDate("2025-13-45")).toBeUndefined();
    expect(parseDate("yesterday")).toBeUndefined();
  });
});

describe("bool, binary, null", () => {
  check([
    ["Bool", "true", "true", true],
    ["Bool", true, "true", true],
    ["Bool", "false", "true", false],
    ["Bool", "true", undefined, false],
    ["BinaryEquals", "QmluYXJ5VmFsdWU=", "QmluYXJ5VmFsdWU=", true],
    ["BinaryEquals", "QmluYXJ5VmFsdWU=", "QmluYXJ5VmFsdWF=", false],
    ["Null", "true", undefined, true],
    ["Null", "true", "x", false],
    ["Null", "false", "x", true],
    ["Null", "false", undefined, false],
    ["Null", "true", [], true],
  ]);
});

describe("IP address operators", () => {
  check([
    ["IpAddress", "203.0.113.0/24", "203.0.113.7", true],
    ["IpAddress", "203.0.113.0/24", "203.0.114.7", false],
    ["IpAddress", "203.0.113.7", "203.0.113.7", true],
    ["IpAddress", ["10.0.0.0/8", "2001:db8::/32"], "2001:db8::1", true],
    ["IpAddress", "2001:db8::/32", "2001:db9::1", false],
    ["IpAddress", "203.0.113.0/24", "not-an-ip", false],
    ["IpAddress", "203.0.113.0/24", undefined, false],
    ["NotIpAddress", "203.0.113.0/24", "198.51.100.1", true],
    ["NotIpAddress", "203.0.113.0/24", "203.0.113.1", false],
    ["NotIpAddress", "203.0.113.0/24", undefined, true],
  ]);
});

describe("ARN operators", () => {
  const role = "arn:aws:iam::123456789012:role/app";
  check([
    ["ArnEquals", role, role, true],
    ["ArnEquals", "arn:aws:iam::123456789012:role/*", role, true],
    ["ArnLike", "arn:aws:iam::*:role/app", role, true],
    ["ArnLike", "arn:aws:iam::123456789012:role/ap?", role, true],
    ["ArnLike", "arn:aws:iam::123456789012:role/other", role, false],
    ["ArnLike", "arn:aws:iam::123456789012:role/*", "not-an-arn", false],
    ["ArnLike", role, undefined, false],
    ["ArnNotEquals", role, "arn:aws:iam::123456789012:role/other", true],
    ["ArnNotEquals", role, role, false],
    ["ArnNotLike", "arn:aws:iam::*:role/*", role, false],
    ["ArnNotLike", "arn:aws:iam::*:role/*", undefined, true],
  ]);

  it("keeps wildcards inside their ARN segment", () => {
    expect(conditionHolds({ ArnLike: { [KEY]: "arn:aws:iam::12?:role/app" } }, { [KEY]: role })).toBe(false);
    expect(conditionHolds({ ArnLike: { [KEY]: "arn:aws:iam::1*2:role/app" } }, { [KEY]: role })).toBe(true);
  });
});

describe("…IfExists", () => {
  check([
    ["StringEqualsIfExists", "vpce-1", undefined, true],
    ["StringEqualsIfExists", "vpce-1", "vpce-2", false],
    ["StringEqualsIfExists", "vpce-1", "vpce-1", true],
    ["StringNotEqualsIfExists", "vpce-1", undefined, true],
    ["StringNotEqualsIfExists", "vpce-1", "vpce-1", false],
    ["IpAddressIfExists", "203.0.113.0/24", undefined, true],
    ["IpAddressIfExists", "203.0.113.0/24", "198.51.100.1", false],
    ["BoolIfExists", "false", undefined, true],
    ["BoolIfExists", "false", "true", false],
    ["NumericLessThanIfExists", "5", undefined, true],
    ["DateLessThanIfExists", "2025-01-01T00:00:00Z", undefined, true],
    ["ArnLikeIfExists", "arn:aws:iam::*:role/*", undefined, true],
  ]);
});

describe("set operators", () => {
  check([
    ["ForAnyValue:StringEquals", ["a", "b"], ["x", "b"], true],
    ["ForAnyValue:StringEquals", ["a", "b"], ["x", "y"], false],
    ["ForAnyValue:StringEquals", ["a", "b"], undefined, false],
    ["ForAnyValue:StringEquals", ["a", "b"], [], false],
    ["ForAnyValue:StringLike", ["team-*"], ["owner", "team-x"], true],
    ["ForAllValues:StringEquals", ["a", "b"], ["a", "b"], true],
    ["ForAllValues:StringEquals", ["a", "b"], ["a", "c"], false],
    ["ForAllValues:StringEquals", ["a", "b"], undefined, true],
    ["ForAllValues:StringEquals", ["a", "b"], [], true],
    ["ForAllValues:StringNotEquals", ["a", "b"], ["c", "d"], true],
    ["ForAllValues:StringNotEquals", ["a", "b"], ["c", "a"], false],
    ["ForAnyValue:StringNotEquals", ["a", "b"], ["a", "c"], true],
    ["ForAnyValue:StringNotEquals", ["a", "b"], ["a", "b"], false],
    ["ForAnyValue:StringEqualsIfExists", ["a"], undefined, true],
  ]);

  it("a plain operator on a key with several request values matches when any value matches", () => {
    expect(conditionHolds({ StringEquals: { [KEY]: "b" } }, { [KEY]: ["a", "b"] })).toBe(true);
    expect(conditionHolds({ StringEquals: { [KEY]: "c" } }, { [KEY]: ["a", "b"] })).toBe(false);
    // The negated form is the negation of the positive one.
    expect(conditionHolds({ StringNotEquals: { [KEY]: "b" } }, { [KEY]: ["a", "b"] })).toBe(false);
    expect(conditionHolds({ StringNotEquals: { [KEY]: "c" } }, { [KEY]: ["a", "b"] })).toBe(true);
  });
});

describe("combining conditions", () => {
  it("ANDs operators and keys, ORs the values of one key", () => {
    const condition = {
      StringEquals: { "aws:SourceVpce": ["vpce-1", "vpce-2"], "aws:SourceVpc": "vpc-1" },
      Bool: { "aws:SecureTransport": "true" },
    };
    const good = { "aws:SourceVpce": "vpce-2", "aws:SourceVpc": "vpc-1", "aws:SecureTransport": "true" };
    expect(conditionHolds(condition, good)).toBe(true);
    expect(conditionHolds(condition, { ...good, "aws:SourceVpc": "vpc-2" })).toBe(false);
    expect(conditionHolds(condition, { ...good, "aws:SecureTransport": "false" })).toBe(false);
    expect(conditionHolds(condition, { ...good, "aws:SourceVpce": "vpce-3" })).toBe(false);
  });

  it("compares condition keys and request context keys case-insensitively", () => {
    expect(conditionHolds({ StringEquals: { "aws:sourceVpce": "vpce-1" } }, { "AWS:SOURCEVPCE": "vpce-1" })).toBe(true);
    expect(conditionHolds({ StringEquals: { "AWS:SourceVPCE": "vpce-1" } }, { "aws:sourcevpce": "vpce-1" })).toBe(true);
    expect(conditionHolds({ StringNotEquals: { "aws:sourceVpce": "vpce-1" } }, { "aws:SourceVpce": "vpce-1" })).toBe(false);
  });

  it("treats a context key whose value is undefined as absent", () => {
    expect(conditionHolds({ Null: { "aws:SourceVpce": "true" } }, { "aws:SourceVpce": undefined })).toBe(true);
  });
});

describe("fail closed on unreadable conditions", () => {
  const badCidr = { IpAddress: { "aws:SourceIp": "10.0.0.300/8" } };
  const unknownOperator = { StringEqualz: { "aws:SourceVpce": "vpce-1" } };

  it("an invalid condition never lets an Allow statement grant", () => {
    expect(conditionHolds(badCidr, { "aws:SourceIp": "10.0.0.1" })).toBe(false);
    expect(conditionHolds(unknownOperator, { "aws:SourceVpce": "vpce-1" })).toBe(false);
    expect(conditionHolds("not an object", {})).toBe(false);
  });

  it("an invalid condition always lets a Deny statement deny", () => {
    for (const condition of [badCidr, unknownOperator, "not an object", { StringEquals: "x" }]) {
      const policy = documentOf({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" },
          { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: condition },
        ],
      });
      expect(decide(policy, { context: { "aws:SourceIp": "192.0.2.1" } })).toBe("ExplicitDeny");
    }
  });
});

describe("operator names", () => {
  it("reads every operator with its qualifiers", () => {
    for (const operator of CONDITION_OPERATORS) {
      expect(parseConditionOperator(operator)).toMatchObject({
        baseOperator: operator,
        setOperator: undefined,
        ifExists: false,
        problem: undefined,
      });
      if (operator === "Null") continue;
      expect(parseConditionOperator(`ForAllValues:${operator}IfExists`)).toMatchObject({
        baseOperator: operator,
        setOperator: "ForAllValues",
        ifExists: true,
        canonical: `ForAllValues:${operator}IfExists`,
      });
    }
  });

  it("recognises operator names in any case and gives the documented spelling", () => {
    expect(parseConditionOperator("foranyvalue:stringlikeifexists")).toMatchObject({
      baseOperator: "StringLike",
      setOperator: "ForAnyValue",
      ifExists: true,
      canonical: "ForAnyValue:StringLikeIfExists",
    });
  });

  it("rejects unknown operators, unknown set prefixes and NullIfExists", () => {
    expect(parseConditionOperator("StringEqualz").problem).toMatch(/unknown condition operator "StringEqualz"/);
    expect(parseConditionOperator("ForSomeValues:StringEquals").problem).toMatch(/ForAnyValue: or ForAllValues:/);
    expect(parseConditionOperator("NullIfExists").problem).toMatch(/write Null/);
  });
});
