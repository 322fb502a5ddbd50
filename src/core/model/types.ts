/**
 * The normalised model. Adapters (src/adapters) turn every provider family's raw custom
 * resource into these shapes; rules and front doors never read raw CR fields.
 */
import type { ParsedPolicy } from "../iam/types.js";

export interface ResourceRef {
  apiVersion: string;
  kind: string;
  /** null for cluster-scoped objects. */
  namespace: string | null;
  name: string;
  uid?: string;
}

export type Family = "upjet" | "upjet-namespaced" | "community" | "ack";

/** A value together with the JSON path of the CR field it came from. */
export interface Field<T> {
  value: T;
  path: string;
}

/**
 * A value that may be given directly or only through a Crossplane/ACK reference or selector.
 * `value` is undefined while only `ref`/`selector` are set; the inventory may resolve it.
 */
export interface RefValue {
  value?: string;
  ref?: { name: string; namespace?: string };
  selector?: { matchLabels: Record<string, string>; namespace?: string };
  path: string;
}

/** A policy field of a CR, parsed. Absent policy fields are `undefined` on the owner. */
export interface PolicyField extends ParsedPolicy {
  /** JSON path of the CR field, e.g. "spec.forProvider.policy". */
  path: string;
  /** The original text (string policies) or JSON of the structured form, for drift and messages. */
  text: string;
  /**
   * References inside a structured (community) policy that only the provider resolves, e.g. a
   * principal given by iamUserArnSelector. They are left out of `document`; rules must not guess them.
   */
  unresolvedReferences?: { path: string; message: string }[];
  /**
   * Structured (community) policies: paths of the rendered IAM JSON → the manifest's own fields
   * under `path` (e.g. `Statement[0].Condition.IpAddress` → `statements[0].condition[1]`).
   */
  sourcePaths?: Record<string, string>;
}

export type EndpointType = "Gateway" | "Interface" | "GatewayLoadBalancer" | (string & {});

interface ModelBase {
  ref: ResourceRef;
  family: Family;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface Endpoint extends ModelBase {
  type: "Endpoint";
  region?: Field<string>;
  serviceName?: Field<string>;
  /** True when the service is given only by reference (serviceNameRef / serviceRef). */
  serviceNameByReference: boolean;
  /** The region inside serviceName (com.amazonaws.<region>.s3). */
  serviceNameRegion?: string;
  /** True for com.amazonaws.<region>.s3 in any partition. Other endpoints are not checked. */
  isS3: boolean;
  /** Declared spec serviceRegion (cross-region Interface endpoints). */
  serviceRegion?: Field<string>;
  endpointType: Field<EndpointType>;
  vpc?: RefValue;
  routeTables: RefValue[];
  /** routeTableIdSelector and friends: route tables chosen by labels. */
  routeTableSelector?: RefValue;
  subnets: RefValue[];
  ipAddressType?: Field<string>;
  dnsRecordIpType?: Field<string>;
  /** undefined = no policy = AWS's default full-access policy. */
  policy?: PolicyField;
  /** Real vpce-… id from status or external-name, when known. */
  awsId?: string;
  /** Route tables observed in status (Upjet/community), when present. */
  observedRouteTableIds: string[];
}

export interface Bucket extends ModelBase {
  type: "Bucket";
  /** The real S3 bucket name. undefined when it cannot be known (ACK adopt-only without name). */
  name?: Field<string>;
  region?: Field<string>;
  /** The bucket's own policy (community structured policy, ACK spec.policy). */
  policy?: PolicyField;
}

/** Upjet BucketPolicy and the community BucketPolicy kind. */
export interface BucketPolicy extends ModelBase {
  type: "BucketPolicy";
  /** The target bucket's S3 name, or a reference to the Bucket object. */
  bucket: RefValue;
  region?: Field<string>;
  policy?: PolicyField;
}

export interface RouteTableAssociation extends ModelBase {
  type: "RouteTableAssociation";
  endpoint: RefValue;
  routeTable: RefValue;
  region?: Field<string>;
}

export interface SubnetAssociation extends ModelBase {
  type: "SubnetAssociation";
  endpoint: RefValue;
  subnet: RefValue;
  region?: Field<string>;
}

/** Kubernetes Namespace: only what rules need (ACK default region). */
export interface NamespaceInfo {
  type: "Namespace";
  ref: ResourceRef;
  name: string;
  defaultRegion?: string;
  labels: Record<string, string>;
}

export type ModelObject = Endpoint | Bucket | BucketPolicy | RouteTableAssociation | SubnetAssociation | NamespaceInfo;

export type ModelType = ModelObject["type"];

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
