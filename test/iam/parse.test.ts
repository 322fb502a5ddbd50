import { describe, expect, it } from "vitest";
import { parsePolicy, s3ResourceProblem } from "../../src/core/iam/index.js";
import { errorsOf, warningsOf } from "./helpers.js";

const GOOD_STATEMENT = { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::my-bucket/*" };

function withStatements(...statements: unknown[]): Record<string, unknown> {
  return { Version: "2012-10-17", Statement: statements };
}

/** Parses a bucket policy and returns its error paths. */
function errorPaths(input: unknown, kind: "bucket" | "endpoint" = "bucket"): string[] {
  return errorsOf(parsePolicy(input, kind)).map((issue) => issue.path);
}

function onlyError(input: unknown, kind: "bucket" | "endpoint" = "bucket"): { path: string; message: string } {
  const errors = errorsOf(parsePolicy(input, kind));
  expect(errors).toHaveLength(1);
  return errors[0] as { path: string; message: string };
}

describe("reading the input", () => {
  it("reads a JSON string with surrounding whitespace and a block-scalar newline", () => {
    const parsed = parsePolicy(`\n  ${JSON.stringify(withStatements(GOOD_STATEMENT))}\n`, "bucket");
    expect(parsed.issues).toEqual([]);
    expect(parsed.document?.statements).toHaveLength(1);
  });

  it("reads an already parsed object", () => {
    expect(parsePolicy(withStatements(GOOD_STATEMENT), "bucket").issues).toEqual([]);
  });

  it("reports an empty string as an empty policy", () => {
    const parsed = parsePolicy("   \n", "bucket");
    expect(parsed.document).toBeUndefined();
    expect(errorsOf(parsed)).toEqual([{ path: "", message: expect.stringMatching(/^policy is empty; write/) }]);
  });

  it("reports invalid JSON with a line and column", () => {
    const parsed = parsePolicy('{\n  "Version": "2012-10-17",\n  "Statement": [ { "Effect": "Allow", } ]\n}', "bucket");
    expect(parsed.document).toBeUndefined();
    const [error] = errorsOf(parsed);
    expect(error?.path).toBe("");
    expect(error?.message).toBe(
      'policy is not valid JSON: expected a double-quoted property name but found "}" (trailing comma?) at line 3 column 39; fix the syntax there (quote every key and string, no trailing commas)',
    );
  });

  it("locates errors that JSON.parse reports without a position, without echoing the input", () => {
    const [error] = errorsOf(parsePolicy('{"Statement": [}', "bucket"));
    expect(error?.message).toMatch(/^policy is not valid JSON: expected a value but found "\}" at line 1 column 16;/);
    expect(errorsOf(parsePolicy("Statement: []", "bucket"))[0]?.message).toMatch(/expected a value but found "S" at line 1 column 1/);
  });

  it.each([
    [null, "null"],
    [42, "a number"],
    [[GOOD_STATEMENT], "an array"],
    ['"just a string"', 'the string "just a string"'],
    [undefined, "a undefined"],
  ])("reports %j as not a JSON object", (input, what) => {
    const parsed = parsePolicy(input, "bucket");
    expect(parsed.document).toBeUndefined();
    expect(errorsOf(parsed)[0]?.message).toContain(`policy must be a JSON object, but it is ${what}`);
  });
});

describe("document grammar", () => {
  it("needs a Statement", () => {
    const parsed = parsePolicy({ Version: "2012-10-17" }, "bucket");
    expect(parsed.document).toBeUndefined();
    expect(errorsOf(parsed)).toEqual([{ path: "", message: expect.stringMatching(/policy has no Statement/) }]);
  });

  it("needs Statement to be an object or array", () => {
    expect(onlyError({ Statement: "Allow everything" })).toEqual({
      path: "Statement",
      message: expect.stringMatching(/must be an object or an array/),
    });
    expect(onlyError({ Statement: [] })).toEqual({ path: "Statement", message: expect.stringMatching(/Statement is empty/) });
  });

  it("uses 'Statement' as the path of a single-object statement", () => {
    const parsed = parsePolicy({ Version: "2012-10-17", Statement: { ...GOOD_STATEMENT, Effect: "Permit" } }, "bucket");
    expect(errorsOf(parsed).map((issue) => issue.path)).toEqual(["Statement.Effect"]);
  });

  it("accepts both policy language versions and rejects others", () => {
    expect(errorPaths({ Version: "2008-10-17", Statement: [GOOD_STATEMENT] })).toEqual([]);
    expect(errorPaths({ Statement: [GOOD_STATEMENT] })).toEqual([]);
    expect(onlyError({ Version: "2024-01-01", Statement: [GOOD_STATEMENT] })).toEqual({
      path: "Version",
      message: expect.stringMatching(/write "Version": "2012-10-17"/),
    });
    expect(onlyError({ Version: 2012, Statement: [GOOD_STATEMENT] }).path).toBe("Version");
  });

  it("warns about unknown top-level elements, with the right spelling when it differs only in case", () => {
    const parsed = parsePolicy({ ...withStatements(GOOD_STATEMENT), Comment: "x", version: "2012-10-17" }, "bucket");
    expect(errorsOf(parsed)).toEqual([]);
    expect(warningsOf(parsed)).toEqual([
      { path: "Comment", message: expect.stringMatching(/unknown top-level element "Comment"/) },
      { path: "version", message: expect.stringMatching(/write "Version"/) },
    ]);
  });

  it("keeps the readable statements and skips the unreadable ones", () => {
    const parsed = parsePolicy(withStatements("nonsense", GOOD_STATEMENT, { ...GOOD_STATEMENT, Effect: undefined }), "bucket");
    expect(parsed.document?.statements.map((statement) => statement.path)).toEqual(["Statement[1]"]);
    expect(errorsOf(parsed).map((issue) => issue.path)).toEqual(["Statement[0]", "Statement[2].Effect"]);
  });

  it("has no document when no statement can be read", () => {
    expect(parsePolicy(withStatements(1, 2), "bucket").document).toBeUndefined();
  });
});

describe("statement grammar", () => {
  it("rejects an Effect other than Allow/Deny; a case slip is kept with the right spelling", () => {
    expect(onlyError(withStatements(GOOD_STATEMENT, { ...GOOD_STATEMENT, Effect: "Permit" }))).toEqual({
      path: "Statement[1].Effect",
      message: expect.stringMatching(/Effect "Permit" is not valid; write "Effect": "Allow" or "Effect": "Deny"/),
    });
    const parsed = parsePolicy(withStatements({ ...GOOD_STATEMENT, Effect: "deny" }), "bucket");
    expect(errorsOf(parsed)).toEqual([{ path: "Statement[0].Effect", message: expect.stringMatching(/write "Deny"/) }]);
    expect(parsed.document?.statements[0]?.effect).toBe("Deny");
  });

  it("needs exactly one of Action and NotAction", () => {
    const { Action: _action, ...noAction } = GOOD_STATEMENT;
    expect(onlyError(withStatements(noAction))).toEqual({
      path: "Statement[0]",
      message: expect.stringMatching(/no Action \(or NotAction\); add e\.g\./),
    });
    expect(onlyError(withStatements({ ...GOOD_STATEMENT, NotAction: "s3:DeleteObject" }))).toEqual({
      path: "Statement[0]",
      message: expect.stringMatching(/both Action and NotAction/),
    });
  });

  it("needs exactly one of Resource and NotResource in bucket and endpoint policies", () => {
    const { Resource: _resource, ...noResource } = GOOD_STATEMENT;
    for (const kind of ["bucket", "endpoint"] as const) {
      expect(onlyError(withStatements(noResource), kind)).toEqual({
        path: "Statement[0]",
        message: expect.stringMatching(/no Resource \(or NotResource\)/),
      });
    }
    expect(onlyError(withStatements({ ...GOOD_STATEMENT, NotResource: "arn:aws:s3:::x" })).message).toMatch(
      /both Resource and NotResource/,
    );
  });

  it("rejects both Principal and NotPrincipal", () => {
    expect(onlyError(withStatements({ ...GOOD_STATEMENT, NotPrincipal: { AWS: "123456789012" } }))).toEqual({
      path: "Statement[0]",
      message: expect.stringMatching(/both Principal and NotPrincipal/),
    });
  });

  it("needs a Principal in a bucket policy but not in an endpoint policy", () => {
    const { Principal: _principal, ...noPrincipal } = GOOD_STATEMENT;
    expect(onlyError(withStatements(GOOD_STATEMENT, noPrincipal), "bucket")).toEqual({
      path: "Statement[1]",
      message: expect.stringMatching(/bucket policy statement needs a Principal; add "Principal": "\*"/),
    });
    expect(errorPaths(withStatements(noPrincipal), "endpoint")).toEqual([]);
  });

  it("rejects unknown statement elements and names the right spelling", () => {
    expect(onlyError(withStatements({ ...GOOD_STATEMENT, Conditions: {} }))).toEqual({
      path: "Statement[0].Conditions",
      message: expect.stringMatching(/unknown statement element "Conditions"/),
    });
    expect(onlyError(withStatements({ ...GOOD_STATEMENT, sid: "x" })).message).toMatch(/write "Sid"/);
  });

  it("rejects malformed actions and warns about non-S3 actions", () => {
    const parsed = parsePolicy(
      withStatements({ ...GOOD_STATEMENT, Action: ["s3:GetObject", "ec2:DescribeInstances", "GetObject", 7, "*"] }),
      "endpoint",
    );
    expect(errorsOf(parsed)).toEqual([
      { path: "Statement[0].Action[2]", message: expect.stringMatching(/not of the form service:Action; write e\.g\. "s3:GetObject"/) },
      { path: "Statement[0].Action[3]", message: expect.stringMatching(/must be strings/) },
    ]);
    expect(warningsOf(parsed)).toEqual([
      {
        path: "Statement[0].Action[1]",
        message: expect.stringContaining(
          "action ec2:DescribeInstances is not an S3 action; it has no effect in an S3 endpoint or bucket policy",
        ),
      },
    ]);
    expect(parsed.document?.statements[0]?.action).toEqual(["s3:GetObject", "ec2:DescribeInstances", "GetObject", "*"]);
  });

  it("reports an empty Action list", () => {
    expect(onlyError(withStatements({ ...GOOD_STATEMENT, Action: [] }))).toEqual({
      path: "Statement[0].Action",
      message: expect.stringMatching(/is empty/),
    });
  });
});

describe("S3 resource ARNs", () => {
  it.each([
    "*",
    "arn:aws:s3:::my-bucket",
    "arn:aws:s3:::my_secure_bucket/*",
    "arn:aws:s3:::packages.*.amazonaws.com/*",
    "arn:aws-cn:s3:::bucket/key:with:colons",
    "arn:aws-us-gov:s3:::bucket",
    "arn:aws-iso-b:s3:::bucket",
    "arn:*:s3:::bucket",
    "arn:aws:s3:::*",
    "arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap",
    "arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap/object/*",
    "arn:aws:s3:us-east-1:123456789012:*",
    "arn:aws:s3:*:123456789012:access*",
    "arn:aws:s3::123456789012:accesspoint/mrap.mrap",
  ])("accepts %s", (resource) => {
    expect(s3ResourceProblem(resource)).toBeUndefined();
  });

  it.each([
    ["my-bucket/*", /is not an ARN; write "arn:aws:s3:::my-bucket"/],
    ["arn:aws:s3:::", /names no bucket/],
    ["arn:aws:s3", /not a complete ARN/],
    ["arn:aws:ec2:us-east-1:123456789012:instance/i-1", /ec2 ARN, not an S3 one/],
    ["arn:aws:s3:us-east-1:123456789012:my-bucket", /leave both empty; write arn:aws:s3:::my-bucket/],
    ["arn:aws:s3::123456789012:my-bucket/*", /region or account/],
    ["arn:amazon:s3:::bucket", /unknown partition "amazon"/],
    ["arn:aws:s3:::bucket /key", /whitespace/],
  ])("rejects %s", (resource, message) => {
    expect(s3ResourceProblem(resource)).toMatch(message);
  });

  it("reports bad ARNs at their position in Resource and NotResource", () => {
    const parsed = parsePolicy(
      withStatements(
        GOOD_STATEMENT,
        GOOD_STATEMENT,
        { ...GOOD_STATEMENT, Resource: ["arn:aws:s3:::ok", "arn:aws:sqs:us-east-1:123456789012:q"] },
        {
          ...GOOD_STATEMENT,
          Resource: undefined,
          NotResource: "bucket",
        },
      ),
      "bucket",
    );
    expect(errorsOf(parsed).map((issue) => issue.path)).toEqual(["Statement[2].Resource[1]", "Statement[3].NotResource"]);
  });
});

describe("principals", () => {
  function principalOf(principal: unknown): unknown {
    return parsePolicy(withStatements({ ...GOOD_STATEMENT, Principal: principal }), "bucket").document?.statements[0]?.principal;
  }

  it('normalises "*" and {"AWS": "*"} to "*" and single strings to lists', () => {
    expect(principalOf("*")).toBe("*");
    expect(principalOf({ AWS: "*" })).toBe("*");
    expect(principalOf({ AWS: ["*"] })).toBe("*");
    expect(principalOf({ AWS: "123456789012", Service: "cloudtrail.amazonaws.com" })).toEqual({
      AWS: ["123456789012"],
      Service: ["cloudtrail.amazonaws.com"],
    });
  });

  it("rejects bad principal shapes with their paths", () => {
    expect(onlyError(withStatements({ ...GOOD_STATEMENT, Principal: "arn:aws:iam::123456789012:root" }))).toEqual({
      path: "Statement[0].Principal",
      message: expect.stringMatching(/wrap the value in \{"AWS": \.\.\.\}/),
    });
    expect(onlyError(withStatements({ ...GOOD_STATEMENT, Principal: { Aws: "123456789012" } }))).toEqual({
      path: "Statement[0].Principal.Aws",
      message: expect.stringMatching(/unknown principal type "Aws" \(element names are case-sensitive: write "AWS"\)/),
    });
    expect(onlyError(withStatements({ ...GOOD_STATEMENT, Principal: { AWS: ["123456789012", "bob"] } }))).toEqual({
      path: "Statement[0].Principal.AWS[1]",
      message: expect.stringMatching(/not an account id or IAM ARN/),
    });
    expect(onlyError(withStatements({ ...GOOD_STATEMENT, Principal: 5 })).path).toBe("Statement[0].Principal");
  });
});

describe("conditions", () => {
  function parsedCondition(condition: unknown) {
    return parsePolicy(withStatements(GOOD_STATEMENT, { ...GOOD_STATEMENT, Condition: condition }), "bucket");
  }

  it("normalises values to strings and keeps keys as written", () => {
    const parsed = parsedCondition({
      NumericLessThan: { "s3:max-keys": 10 },
      Bool: { "aws:SecureTransport": true },
      StringEquals: { "aws:sourceVpce": ["vpce-1", "vpce-2"] },
    });
    expect(parsed.issues).toEqual([]);
    expect(parsed.document?.statements[1]?.conditions).toEqual([
      {
        operator: "NumericLessThan",
        baseOperator: "NumericLessThan",
        setOperator: undefined,
        ifExists: false,
        key: "s3:max-keys",
        values: ["10"],
        path: 'Statement[1].Condition.NumericLessThan["s3:max-keys"]',
        valid: true,
      },
      {
        operator: "Bool",
        baseOperator: "Bool",
        setOperator: undefined,
        ifExists: false,
        key: "aws:SecureTransport",
        values: ["true"],
        path: 'Statement[1].Condition.Bool["aws:SecureTransport"]',
        valid: true,
      },
      {
        operator: "StringEquals",
        baseOperator: "StringEquals",
        setOperator: undefined,
        ifExists: false,
        key: "aws:sourceVpce",
        values: ["vpce-1", "vpce-2"],
        path: 'Statement[1].Condition.StringEquals["aws:sourceVpce"]',
        valid: true,
      },
    ]);
  });

  it("splits set operator and IfExists and uses bracket paths for operators with a colon", () => {
    const parsed = parsedCondition({ "ForAnyValue:StringLikeIfExists": { "aws:TagKeys": ["team-*"] } });
    expect(parsed.issues).toEqual([]);
    expect(parsed.document?.statements[1]?.conditions[0]).toMatchObject({
      baseOperator: "StringLike",
      setOperator: "ForAnyValue",
      ifExists: true,
      path: 'Statement[1].Condition["ForAnyValue:StringLikeIfExists"]["aws:TagKeys"]',
    });
  });

  it("reports an unknown operator and marks its conditions invalid", () => {
    const parsed = parsedCondition({ StringEqualz: { "aws:SourceVpce": "vpce-1" } });
    expect(errorsOf(parsed)).toEqual([
      {
        path: "Statement[1].Condition.StringEqualz",
        message: expect.stringMatching(/unknown condition operator "StringEqualz"; use one of StringEquals/),
      },
    ]);
    expect(parsed.document?.statements[1]?.conditions[0]).toMatchObject({ baseOperator: undefined, valid: false });
  });

  it("accepts an operator in another case with a warning naming the documented spelling", () => {
    const parsed = parsedCondition({ stringnotequals: { "aws:SourceVpce": "vpce-1" } });
    expect(errorsOf(parsed)).toEqual([]);
    expect(warningsOf(parsed)).toEqual([
      { path: "Statement[1].Condition.stringnotequals", message: expect.stringMatching(/write "StringNotEquals"/) },
    ]);
    expect(parsed.document?.statements[1]?.conditions[0]).toMatchObject({ baseOperator: "StringNotEquals", valid: true });
  });

  it("reports a Condition that is not an object, and an operator block that is not an object", () => {
    expect(errorsOf(parsedCondition("aws:SourceVpce=vpce-1"))).toEqual([
      { path: "Statement[1].Condition", message: expect.stringMatching(/Condition must be an object such as/) },
    ]);
    expect(errorsOf(parsedCondition({ StringEquals: ["vpce-1"] }))).toEqual([
      { path: "Statement[1].Condition.StringEquals", message: expect.stringMatching(/must map condition keys to values/) },
    ]);
    expect(parsedCondition([]).document?.statements[1]?.conditions).toEqual([expect.objectContaining({ valid: false })]);
  });

  it("reports an IpAddress value that is not an address or CIDR and marks the condition invalid", () => {
    const parsed = parsedCondition({ NotIpAddress: { "aws:SourceIp": ["203.0.113.0/24", "10.0.0.0/33"] } });
    expect(errorsOf(parsed)).toEqual([
      {
        path: 'Statement[1].Condition.NotIpAddress["aws:SourceIp"][1]',
        message: expect.stringMatching(/"10\.0\.0\.0\/33" is not an IPv4\/IPv6 address or CIDR block; write e\.g\./),
      },
    ]);
    expect(parsed.document?.statements[1]?.conditions[0]).toMatchObject({
      path: 'Statement[1].Condition.NotIpAddress["aws:SourceIp"]',
      valid: false,
    });
  });

  it.each([
    ["NumericLessThan", "ten", /is not a number/],
    ["DateGreaterThan", "next tuesday", /is not a date; write ISO-8601/],
    ["Bool", "yes", /is not a boolean; Bool takes "true" or "false"/],
    ["Null", "maybe", /is not a boolean/],
    ["IpAddress", "10.0.0.256", /is not an IPv4\/IPv6 address/],
  ])("reports %s with value %j", (operator, value, message) => {
    const parsed = parsedCondition({ [operator]: { "test:Key": value } });
    expect(errorsOf(parsed)).toEqual([{ path: `Statement[1].Condition.${operator}["test:Key"]`, message: expect.stringMatching(message) }]);
    expect(parsed.document?.statements[1]?.conditions[0]?.valid).toBe(false);
  });

  it("reports values that are not strings, numbers or booleans, and empty value lists", () => {
    expect(
      errorPaths(withStatements({ ...GOOD_STATEMENT, Condition: { StringEquals: { "aws:SourceVpce": [{ id: "vpce-1" }] } } })),
    ).toEqual(['Statement[0].Condition.StringEquals["aws:SourceVpce"][0]']);
    expect(errorPaths(withStatements({ ...GOOD_STATEMENT, Condition: { StringEquals: { "aws:SourceVpce": [] } } }))).toEqual([
      'Statement[0].Condition.StringEquals["aws:SourceVpce"]',
    ]);
  });
});

describe("robustness", () => {
  it("never throws on deeply nested input", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect(() => parsePolicy(deep, "bucket")).not.toThrow();
    expect(parsePolicy(deep, "bucket").document).toBeUndefined();
  });
});

describe("parse cache", () => {
  it("parses a policy text once per kind and shares the result", () => {
    const text = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::cache-test/*" }] });
    const asEndpoint = parsePolicy(text, "endpoint");
    expect(parsePolicy(text, "endpoint")).toBe(asEndpoint);
    // The kind decides the grammar (a bucket policy needs Principal), so it is part of the key.
    const asBucket = parsePolicy(text, "bucket");
    expect(asBucket).not.toBe(asEndpoint);
    expect(asBucket.issues.some((i) => i.severity === "error")).toBe(true);
    expect(asEndpoint.issues.filter((i) => i.severity === "error")).toEqual([]);
  });

  it("tells apart texts of the same length, and a copy of a cached text finds it", () => {
    // Twelve texts of one length (more than the cache keeps per length): each parse is its own.
    const texts = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({
        Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::same-length-${i % 10}${Math.floor(i / 10)}/*` }],
      }),
    );
    expect(new Set(texts.map((t) => t.length)).size).toBe(1);
    const parsed = texts.map((t) => parsePolicy(t, "endpoint"));
    // A new string with the same characters, as a request body brings it.
    const copyOf = (text: string) => JSON.parse(JSON.stringify(text)) as string;
    // The last eight are still cached: the very same results.
    for (let i = 4; i < 12; i++) expect(parsePolicy(copyOf(texts[i] as string), "endpoint")).toBe(parsed[i]);
    // The first four were dropped: parsed again, each to its own statement.
    for (let i = 0; i < 4; i++) {
      const again = parsePolicy(copyOf(texts[i] as string), "endpoint");
      expect(again).not.toBe(parsed[i]);
      expect(again.document?.statements[0]?.resource).toEqual([`arn:aws:s3:::same-length-${i % 10}${Math.floor(i / 10)}/*`]);
    }
  });
});
