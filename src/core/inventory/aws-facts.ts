/**
 * Facts about AWS resources that are not in the cluster (filled by AWS verification,
 * src/aws). The inventory asks these after its own objects.
 */
export interface EndpointFact {
  id: string;
  region: string;
  vpcId?: string;
  serviceName?: string;
  routeTableIds?: string[];
  policy?: string;
  state?: string;
}

export interface VpcFact {
  id: string;
  region: string;
  cidrBlocks: string[];
}

export interface ExternalFacts {
  endpoint(id: string): EndpointFact | undefined;
  vpc(id: string): VpcFact | undefined;
  /** Every VPC whose CIDRs are known (source-ip-condition: a range inside a VPC is private). */
  vpcs(): Iterable<VpcFact>;
  /**
   * True only when AWS was asked and the id is not there. A source without these methods
   * answers every miss as absent; one with them lets a cold cache say "not asked yet".
   */
  endpointAbsent?(id: string): boolean;
  vpcAbsent?(id: string): boolean;
  /** The endpoint whatever its state (`endpoint` hides deleted ones), to say "deleted" rather than "not found". */
  endpointAnyState?(id: string): EndpointFact | undefined;
}
