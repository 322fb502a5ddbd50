/** Public API of the IAM policy library (S3 / VPC endpoint subset). */

export type * from "./types.js";
export { parsePolicy, s3ResourceProblem, SUPPORTED_VERSIONS } from "./parse.js";
export { contextValues, evaluatePolicies, evaluatePolicy, statementMatches } from "./evaluate.js";
export { serializePolicy, policiesEquivalent } from "./serialize.js";
export {
  compileWildcard,
  escapeWildcard,
  hasPolicyVariable,
  hasWildcard,
  matchesWildcard,
  unescapePolicyVariables,
  type WildcardOptions,
} from "./wildcard.js";
export { arnMatcher, arnMatches, KNOWN_PARTITIONS, parseArn, parseS3Arn, type Arn, type S3Arn } from "./arn.js";
export {
  actionMatcher,
  actionMatches,
  expandS3Actions,
  isS3Action,
  s3ResourceLevel,
  S3_BUCKET_ACTIONS,
  S3_OBJECT_ACTIONS,
  type S3ResourceLevel,
} from "./actions.js";
export {
  cidrContains,
  cidrsOverlap,
  ipInCidr,
  isPrivateRange,
  overlapsPrivateRange,
  parseCidr,
  parseIp,
  PRIVATE_RANGES,
  type Cidr,
  type IpAddress,
  type IpVersion,
} from "./ip.js";
export {
  compileCondition,
  CONDITION_OPERATORS,
  conditionValueProblem,
  isNegatedOperator,
  parseConditionOperator,
  parseDate,
  parseNumber,
  type ParsedOperator,
} from "./conditions.js";
export { accountOfEntry, principalMatches, statementPrincipalMatches } from "./principal.js";
