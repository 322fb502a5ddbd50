import {
  DescribeRouteTablesCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type EC2ClientConfig,
  type RouteTable,
  type Vpc,
  type VpcEndpoint,
} from "@aws-sdk/client-ec2";
import type { EndpointFact, VpcFact } from "../../core/inventory/aws-facts.js";
import type { Sleep } from "../util/backoff.js";
import { TokenBucket } from "../util/rate-limit.js";
import { DEFAULT_RETRY_POLICY, withRetries, type RequestHook, type RetryPolicy } from "./retry.js";

/** Everything one region holds that the rules ask about, listed at one moment. */
export interface RegionSnapshot {
  region: string;
  endpoints: Map<string, EndpointFact>;
  vpcs: Map<string, VpcFact>;
}

/** Where facts come from: one listing per region (tests may supply their own). */
export interface Ec2FactSource {
  listRegion(region: string): Promise<RegionSnapshot>;
}

export interface RateLimit {
  /** Burst per region. */
  capacity: number;
  refillPerSecond: number;
}

/**
 * EC2's Describe* calls share a per-account, per-region token bucket (documented burst 100,
 * refill 20/s); staying well below leaves room for the controllers that manage the same account.
 */
export const DEFAULT_RATE_LIMIT: RateLimit = { capacity: 10, refillPerSecond: 5 };

export interface SdkEc2SourceOptions {
  /** Endpoint override (moto, LocalStack); undefined = the SDK's own resolution. */
  endpoint?: string;
  /** Static credentials for tests; undefined = the SDK's default chain (env, profile, IRSA, Pod Identity, IMDS). */
  credentials?: EC2ClientConfig["credentials"];
  retry?: RetryPolicy;
  rateLimit?: RateLimit;
  onRequest?: RequestHook;
  /** The retry backoff's sleep. */
  sleep?: Sleep;
  /** The rate limiter's time, apart from the backoff's (tests make backoff instant but pace in virtual time). Default: real time. */
  rateLimitClock?: { now: () => number; sleep: Sleep };
  random?: () => number;
  /** Items per page; AWS accepts 5..1000 (DescribeRouteTables: 5..100). */
  pageSize?: number;
  requestTimeoutMs?: number;
}

interface Page {
  NextToken?: string | undefined;
}

/**
 * EC2 through the AWS SDK: one client and one rate limiter per region, every page of
 * every call through the retry policy.
 */
export class SdkEc2Source implements Ec2FactSource {
  private readonly clients = new Map<string, EC2Client>();
  private readonly limiters = new Map<string, TokenBucket>();

  constructor(private readonly options: SdkEc2SourceOptions = {}) {}

  client(region: string): EC2Client {
    let client = this.clients.get(region);
    if (!client) {
      client = new EC2Client({
        region,
        // Our retry policy is the only one: each HTTP attempt is counted once and the backoff is testable.
        maxAttempts: 1,
        // throwOnRequestTimeout: without it, @smithy/node-http-handler 4.x only logs a warning when
        // requestTimeout passes, and a call that never gets an answer keeps its listing (and every
        // refresh that joins it) pending forever.
        requestHandler: { requestTimeout: this.options.requestTimeoutMs ?? 10_000, throwOnRequestTimeout: true, connectionTimeout: 3_000 },
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      });
      this.clients.set(region, client);
    }
    return client;
  }

  async listRegion(region: string): Promise<RegionSnapshot> {
    const [endpoints, vpcs, routeTables] = await Promise.all([
      this.paged(
        region,
        "DescribeVpcEndpoints",
        (token) => this.client(region).send(new DescribeVpcEndpointsCommand({ NextToken: token, MaxResults: this.pageSize(1000) })),
        (page) => page.VpcEndpoints ?? [],
      ),
      this.paged(
        region,
        "DescribeVpcs",
        (token) => this.client(region).send(new DescribeVpcsCommand({ NextToken: token, MaxResults: this.pageSize(1000) })),
        (page) => page.Vpcs ?? [],
      ),
      this.paged(
        region,
        "DescribeRouteTables",
        (token) => this.client(region).send(new DescribeRouteTablesCommand({ NextToken: token, MaxResults: this.pageSize(100) })),
        (page) => page.RouteTables ?? [],
      ),
    ]);
    const routedBy = routeTablesByGateway(routeTables);
    const snapshot: RegionSnapshot = { region, endpoints: new Map(), vpcs: new Map() };
    for (const e of endpoints) {
      const fact = endpointFact(e, region, routedBy);
      if (fact) snapshot.endpoints.set(fact.id, fact);
    }
    for (const v of vpcs) {
      const fact = vpcFact(v, region);
      if (fact) snapshot.vpcs.set(fact.id, fact);
    }
    return snapshot;
  }

  /** Closes every client's sockets. */
  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  private pageSize(max: number): number {
    return Math.min(max, Math.max(5, this.options.pageSize ?? max));
  }

  private limiter(region: string): TokenBucket {
    let limiter = this.limiters.get(region);
    if (!limiter) {
      const rate = this.options.rateLimit ?? DEFAULT_RATE_LIMIT;
      const time = this.options.rateLimitClock;
      limiter = new TokenBucket({
        capacity: rate.capacity,
        refillPerSecond: rate.refillPerSecond,
        ...(time ? { clock: time.now, sleep: time.sleep } : {}),
      });
      this.limiters.set(region, limiter);
    }
    return limiter;
  }

  private async paged<P extends Page, T>(
    region: string,
    operation: string,
    send: (token: string | undefined) => Promise<P>,
    items: (page: P) => T[],
  ): Promise<T[]> {
    const out: T[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    do {
      const page = await withRetries(operation, () => send(token), this.options.retry ?? DEFAULT_RETRY_POLICY, {
        beforeAttempt: () => this.limiter(region).take(),
        ...(this.options.onRequest ? { onRequest: this.options.onRequest } : {}),
        ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
        ...(this.options.random ? { random: this.options.random } : {}),
      });
      out.push(...items(page));
      token = page.NextToken || undefined;
      // A server that hands back a token twice would otherwise loop forever.
      if (token !== undefined) {
        if (seen.has(token)) throw new Error(`${operation} in ${region} returned the NextToken ${token} twice; stopping pagination`);
        seen.add(token);
      }
    } while (token !== undefined);
    return out;
  }
}

/** Route table ids by the gateway their routes point at (an S3 gateway endpoint is such a gateway). */
function routeTablesByGateway(tables: RouteTable[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const table of tables) {
    if (!table.RouteTableId) continue;
    for (const route of table.Routes ?? []) {
      if (!route.GatewayId?.startsWith("vpce-")) continue;
      let set = out.get(route.GatewayId);
      if (!set) out.set(route.GatewayId, (set = new Set()));
      set.add(table.RouteTableId);
    }
  }
  return out;
}

function endpointFact(e: VpcEndpoint, region: string, routedBy: Map<string, Set<string>>): EndpointFact | undefined {
  if (!e.VpcEndpointId) return undefined;
  // The endpoint lists its route tables; the route tables' routes say the same from the other side.
  const routeTables = new Set([...(e.RouteTableIds ?? []), ...(routedBy.get(e.VpcEndpointId) ?? [])]);
  const fact: EndpointFact = { id: e.VpcEndpointId, region, routeTableIds: [...routeTables].sort() };
  if (e.VpcId) fact.vpcId = e.VpcId;
  if (e.ServiceName) fact.serviceName = e.ServiceName;
  if (e.PolicyDocument) fact.policy = e.PolicyDocument;
  if (e.State) fact.state = e.State;
  return fact;
}

function vpcFact(v: Vpc, region: string): VpcFact | undefined {
  if (!v.VpcId) return undefined;
  const blocks = new Set<string>();
  if (v.CidrBlock) blocks.add(v.CidrBlock);
  for (const a of v.CidrBlockAssociationSet ?? []) {
    if (a.CidrBlock && isAssociated(a.CidrBlockState?.State)) blocks.add(a.CidrBlock);
  }
  for (const a of v.Ipv6CidrBlockAssociationSet ?? []) {
    if (a.Ipv6CidrBlock && isAssociated(a.Ipv6CidrBlockState?.State)) blocks.add(a.Ipv6CidrBlock);
  }
  return { id: v.VpcId, region, cidrBlocks: [...blocks] };
}

/** Blocks being disassociated or that failed to associate no longer (or never) hold addresses. */
function isAssociated(state: string | undefined): boolean {
  return state === undefined || state === "associated" || state === "associating";
}
