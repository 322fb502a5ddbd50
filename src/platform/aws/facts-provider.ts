import type { EndpointFact, ExternalFacts, VpcFact } from "../../core/inventory/aws-facts.js";
import { TtlCache, type Clock } from "./cache.js";
import type { Ec2FactSource, RegionSnapshot } from "./ec2-source.js";
import { errorCode } from "./retry.js";

/** Where AWS verification writes its few log lines (a pino logger fits, and so does stderr). */
export interface AwsLog {
  warn(message: string): void;
  info(message: string): void;
}

export interface AwsFactsOptions {
  source: Ec2FactSource;
  /** Regions to ask: those the inventory mentions plus defaults.region (an id's region is unknown until found). */
  regions: () => Iterable<string>;
  /** config aws.cacheTtl. */
  cacheTtlMs: number;
  /**
   * A miss on a listed region relists it at most this often (new endpoints appear between
   * refreshes); default: a tenth of the TTL, at least 10 s.
   */
  missRelistIntervalMs?: number;
  clock?: Clock;
  log?: AwsLog;
}

export interface RefreshResult {
  listed: string[];
  failed: { region: string; message: string }[];
}

/** States in which an endpoint no longer exists for S3 traffic. */
const GONE_STATES = new Set(["deleted", "deleting", "rejected", "failed", "expired"]);

/** AWS region names (us-east-1, us-gov-west-1, cn-north-1, eu-isoe-west-1): anything else is not asked. */
const REGION = /^[a-z]{2}(-[a-z0-9]+)+-\d+$/;

/**
 * AWS facts for the rules, answered synchronously from a per-region cache: admission never
 * waits on AWS. A miss starts a background listing of the regions that could hold the id
 * and answers "unknown" now; `prefetch` and `refresh` are the awaited paths for the CLI and
 * the reconciler.
 */
export class AwsFacts implements ExternalFacts {
  private readonly snapshots: TtlCache<string, RegionSnapshot>;
  private readonly inFlight = new Map<string, Promise<RegionSnapshot | undefined>>();
  /** Last listing attempt per region (successful or not), so misses do not hammer AWS. */
  private readonly lastAttempt = new Map<string, number>();
  private readonly reportedFailures = new Set<string>();
  private readonly clock: Clock;
  private readonly missRelistIntervalMs: number;

  constructor(private readonly options: AwsFactsOptions) {
    this.clock = options.clock ?? Date.now;
    this.snapshots = new TtlCache({ ttlMs: options.cacheTtlMs, clock: this.clock });
    this.missRelistIntervalMs = options.missRelistIntervalMs ?? Math.max(10_000, Math.floor(options.cacheTtlMs / 10));
  }

  endpoint(id: string): EndpointFact | undefined {
    const found = this.findEndpoint(id);
    if (!found || this.isGone(found)) {
      this.scheduleMissLookup();
      return undefined;
    }
    return found;
  }

  vpc(id: string): VpcFact | undefined {
    const found = this.findVpc(id);
    if (!found) this.scheduleMissLookup();
    return found;
  }

  *vpcs(): Iterable<VpcFact> {
    for (const [, hit] of this.liveSnapshots()) yield* hit.value.vpcs.values();
  }

  /**
   * True only when AWS was asked and the endpoint is not there (or is deleted): every
   * region that could hold it has been listed. A cache miss is not absence.
   */
  endpointAbsent(id: string): boolean {
    const found = this.findEndpoint(id);
    if (found) return this.isGone(found);
    const regions = this.candidateRegions();
    return regions.length > 0 && regions.every((region) => this.snapshots.get(region) !== undefined);
  }

  /** Like endpointAbsent, for VPC ids: every candidate region listed and the VPC in none. */
  vpcAbsent(id: string): boolean {
    if (this.findVpc(id)) return false;
    const regions = this.candidateRegions();
    return regions.length > 0 && regions.every((region) => this.snapshots.get(region) !== undefined);
  }

  /** The endpoint as AWS lists it, whatever its state (aws-drift tells "deleted" apart). */
  endpointAnyState(id: string): EndpointFact | undefined {
    return this.findEndpoint(id);
  }

  /**
   * Makes sure every region that could hold these ids has been listed (awaits the
   * listings), relisting regions that were listed before a missing id could exist. With
   * `budgetMs`, gives up waiting after that long (the listings go on in the background).
   */
  async prefetch(ids: Iterable<string>, options: { budgetMs?: number } = {}): Promise<void> {
    const wanted = [...ids].filter((id) => !this.findEndpoint(id) && !this.findVpc(id));
    const regions = this.candidateRegions().filter((region) => {
      const hit = this.snapshots.get(region);
      return !hit || hit.stale || (wanted.length > 0 && this.mayRelist(region));
    });
    const work = Promise.all(regions.map((region) => this.listRegion(region))).then(() => undefined);
    if (options.budgetMs === undefined) return work;
    if (options.budgetMs <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.budgetMs)));
    await Promise.race([work, budget]);
    clearTimeout(timer);
  }

  /** Relists every region (the reconciler's periodic refresh; the CLI before checking). */
  async refresh(): Promise<RefreshResult> {
    const result: RefreshResult = { listed: [], failed: [] };
    await Promise.all(
      this.candidateRegions().map(async (region) => {
        try {
          await this.listRegionOrThrow(region);
          result.listed.push(region);
        } catch (error) {
          result.failed.push({ region, message: describeError(error) });
        }
      }),
    );
    result.listed.sort();
    return result;
  }

  /** Resolves when no listing is running (tests, graceful shutdown). */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Regions asked: the configured providers' regions, deduplicated, malformed names left out. */
  candidateRegions(): string[] {
    const out = new Set<string>();
    for (const region of this.options.regions()) if (REGION.test(region)) out.add(region);
    return [...out].sort();
  }

  private findEndpoint(id: string): EndpointFact | undefined {
    for (const [, hit] of this.liveSnapshots()) {
      const endpoint = hit.value.endpoints.get(id);
      if (endpoint) return endpoint;
    }
    return undefined;
  }

  private findVpc(id: string): VpcFact | undefined {
    for (const [, hit] of this.liveSnapshots()) {
      const vpc = hit.value.vpcs.get(id);
      if (vpc) return vpc;
    }
    return undefined;
  }

  private isGone(e: EndpointFact): boolean {
    return e.state !== undefined && GONE_STATES.has(e.state.toLowerCase());
  }

  private liveSnapshots(): IterableIterator<[string, { value: RegionSnapshot; stale: boolean }]> {
    const stale = [...this.snapshots.live()].filter(([, hit]) => hit.stale).map(([region]) => region);
    for (const region of stale) this.startListing(region);
    return this.snapshots.live();
  }

  /** A miss: list the regions never listed, and relist the others if they were listed a while ago. */
  private scheduleMissLookup(): void {
    for (const region of this.candidateRegions()) this.startListing(region);
  }

  private mayRelist(region: string): boolean {
    const last = this.lastAttempt.get(region);
    return last === undefined || this.clock() - last >= this.missRelistIntervalMs;
  }

  private startListing(region: string): void {
    // Background listings (misses, stale entries, failing regions) start no more often than this.
    if (this.inFlight.has(region) || !this.mayRelist(region)) return;
    void this.listRegion(region);
  }

  /** Lists a region (joining a listing under way); failures are logged once and yield undefined. */
  private listRegion(region: string): Promise<RegionSnapshot | undefined> {
    return this.listRegionOrThrow(region).catch(() => undefined);
  }

  private listRegionOrThrow(region: string): Promise<RegionSnapshot> {
    const running = this.inFlight.get(region);
    if (running) return running.then((s) => s ?? Promise.reject(new Error(`listing ${region} failed`)));
    this.lastAttempt.set(region, this.clock());
    const listing = this.options.source.listRegion(region).then(
      (snapshot) => {
        this.snapshots.set(region, snapshot);
        if (this.reportedFailures.delete(region)) this.options.log?.info(`AWS verification: EC2 in ${region} answers again`);
        return snapshot;
      },
      (error: unknown) => {
        if (!this.reportedFailures.has(region)) {
          this.reportedFailures.add(region);
          this.options.log?.warn(
            `AWS verification: listing VPC endpoints and VPCs in ${region} failed (${describeError(error)}); facts for ${region} stay as cached until the next refresh`,
          );
        }
        throw error;
      },
    );
    const tracked = listing.catch(() => undefined);
    this.inFlight.set(region, tracked);
    void tracked.finally(() => this.inFlight.delete(region));
    return listing;
  }
}

export function describeError(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}
