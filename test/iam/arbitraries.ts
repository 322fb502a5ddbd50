/**
 * fast-check generators for well-formed S3 resource policies and matching requests, shared by
 * the property tests and the differential tests against @cloud-copilot/iam-simulate.
 */
import fc from "fast-check";

export const ACCOUNT = "123456789012";
export const REQUESTER = `arn:aws:iam::${ACCOUNT}:user/alice`;

const VPCE_IDS = ["vpce-1a2b3c4d", "vpce-0123456789abcdef0", "vpce-99999999"];
const VPC_IDS = ["vpc-111bbb22", "vpc-0a1b2c3d4e5f60718"];
const SOURCE_IPS = ["10.0.1.25", "203.0.113.9", "198.51.100.200", "2001:db8::7"];
/**
 * Policy CIDRs always carry a prefix here. iam-simulate compares a bare policy address (no
 * "/n") as a string and then answers false for NotIpAddress when the request address is of
 * the other family, while it answers true for the same address written as "/32"; AWS
 * documents a bare address as a single-address range, which is what we do (unit-tested in
 * conditions.test.ts), so bare addresses are left out of the differential comparison.
 */
const CIDRS = ["10.0.0.0/8", "203.0.113.0/24", "198.51.100.0/22", "203.0.113.9/32", "2001:db8::/32", "2001:db8::7/128"];

export type JsonStatement = Record<string, unknown>;
export interface JsonPolicy {
  Version: string;
  Statement: JsonStatement[] | JsonStatement;
}

export interface GeneratedRequest {
  action: string;
  resource: string;
  context: Record<string, string>;
}

const actionList = fc.subarray(["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:*", "s3:Get*", "s3:*Object", "*"], {
  minLength: 1,
  maxLength: 3,
});
const resourceList = fc.subarray(
  ["arn:aws:s3:::b1", "arn:aws:s3:::b1/*", "arn:aws:s3:::b2/*", "arn:aws:s3:::b?/*", "arn:aws:s3:::b1/k*", "arn:aws:s3:::*", "*"],
  {
    minLength: 1,
    maxLength: 3,
  },
);

const stringCondition = fc.record({
  operator: fc.constantFrom(
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIfExists",
    "StringNotEqualsIfExists",
  ),
  key: fc.constantFrom("aws:SourceVpce", "aws:sourceVpce", "aws:SourceVpc", "aws:sourcevpc"),
  values: fc.subarray([...VPCE_IDS, ...VPC_IDS, "vpce-*", "vpc-111*", "vpce-1a2b3c4?"], { minLength: 1, maxLength: 2 }),
});
const ipCondition = fc.record({
  operator: fc.constantFrom("IpAddress", "NotIpAddress", "IpAddressIfExists", "NotIpAddressIfExists"),
  key: fc.constantFrom("aws:SourceIp", "aws:sourceip"),
  values: fc.subarray(CIDRS, { minLength: 1, maxLength: 2 }),
});

/** A Condition block: distinct operators, one key each (JSON objects cannot repeat keys). */
const conditionBlock = fc
  .uniqueArray(fc.oneof(stringCondition, ipCondition), { maxLength: 2, selector: (condition) => condition.operator })
  .map((conditions) => {
    const block: Record<string, Record<string, string | string[]>> = {};
    for (const condition of conditions) {
      block[condition.operator] = { [condition.key]: condition.values.length === 1 ? (condition.values[0] as string) : condition.values };
    }
    return block;
  });

export const statementArbitrary: fc.Arbitrary<JsonStatement> = fc
  .record({
    effect: fc.constantFrom("Allow", "Deny"),
    principal: fc.constantFrom<unknown>("*", { AWS: "*" }, { AWS: REQUESTER }, { AWS: `arn:aws:iam::${ACCOUNT}:user/bob` }),
    negateAction: fc.boolean(),
    actions: actionList,
    negateResource: fc.boolean(),
    resources: resourceList,
    condition: conditionBlock,
    sid: fc.option(fc.constantFrom("one", "two"), { nil: undefined }),
  })
  .map(({ effect, principal, negateAction, actions, negateResource, resources, condition, sid }) => {
    const statement: JsonStatement = { Effect: effect, Principal: principal };
    if (sid !== undefined) statement.Sid = sid;
    statement[negateAction ? "NotAction" : "Action"] = actions.length === 1 ? actions[0] : actions;
    statement[negateResource ? "NotResource" : "Resource"] = resources.length === 1 ? resources[0] : resources;
    if (Object.keys(condition).length > 0) statement.Condition = condition;
    return statement;
  });

export const policyArbitrary: fc.Arbitrary<JsonPolicy> = fc
  .tuple(fc.array(statementArbitrary, { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([statements, singleObject]) => ({
    Version: "2012-10-17",
    Statement: singleObject && statements.length === 1 ? (statements[0] as JsonStatement) : statements,
  }));

const objectRequest = fc.record({
  action: fc.constantFrom("s3:GetObject", "s3:PutObject"),
  resource: fc.constantFrom("arn:aws:s3:::b1/k1", "arn:aws:s3:::b1/docs/a.txt", "arn:aws:s3:::b2/k1", "arn:aws:s3:::b3/x"),
});
const bucketRequest = fc.record({
  action: fc.constant("s3:ListBucket"),
  resource: fc.constantFrom("arn:aws:s3:::b1", "arn:aws:s3:::b2", "arn:aws:s3:::b3"),
});

const contextArbitrary = fc
  .record({
    "aws:SourceVpce": fc.option(fc.constantFrom(...VPCE_IDS), { nil: undefined }),
    "aws:SourceVpc": fc.option(fc.constantFrom(...VPC_IDS), { nil: undefined }),
    "aws:SourceIp": fc.option(fc.constantFrom(...SOURCE_IPS), { nil: undefined }),
  })
  .map((context) => Object.fromEntries(Object.entries(context).filter((entry): entry is [string, string] => entry[1] !== undefined)));

export const requestArbitrary: fc.Arbitrary<GeneratedRequest> = fc
  .tuple(fc.oneof(objectRequest, bucketRequest), contextArbitrary)
  .map(([target, context]) => ({ ...target, context }));
