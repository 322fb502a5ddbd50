/** AWS verification: EC2 facts for the rules, cached, rate-limited and retried (README "AWS verification"). */
export { TtlCache, type CacheHit, type Clock, type TtlCacheOptions } from "./cache.js";
export {
  DEFAULT_RATE_LIMIT,
  SdkEc2Source,
  type Ec2FactSource,
  type RateLimit,
  type RegionSnapshot,
  type SdkEc2SourceOptions,
} from "./ec2-source.js";
export { AwsFacts, type AwsFactsOptions, type AwsLog, type RefreshResult } from "./facts-provider.js";
export { TokenBucket, type TokenBucketOptions } from "../util/rate-limit.js";
export {
  DEFAULT_RETRY_POLICY,
  isRetryable,
  isThrottling,
  withRetries,
  type RequestHook,
  type RequestOutcome,
  type RetryPolicy,
} from "./retry.js";
export { awsRequestsHook, resolveEc2Endpoint, startAwsVerification, type AwsVerification, type AwsVerificationOptions } from "./setup.js";
