/**
 * Crossplane Upjet provider (cluster `*.aws.upbound.io` and namespaced `*.aws.m.upbound.io`).
 * Fields may sit in spec.forProvider or spec.initProvider (forProvider wins); region only in
 * forProvider. Route tables are not in the endpoint's spec: they come from association objects.
 */
import type {
  Bucket,
  BucketPolicy,
  Endpoint,
  Field,
  ModelObject,
  RefValue,
  RouteTableAssociation,
  SubnetAssociation,
} from "../model/types.js";
import {
  EXTERNAL_NAME_ANNOTATION,
  FieldReader,
  annotationPath,
  baseOf,
  isRecord,
  looksLikeEndpointId,
  normaliseS3Region,
  parseServiceName,
  refKeys,
  stringAt,
  stringsAt,
  type Section,
} from "./common.js";
import type { AdapterInput } from "./input.js";
import type { AdapterIssue } from "./types.js";

interface UpjetSections {
  reader: FieldReader;
  forProvider: Section;
  /** forProvider first, then initProvider. */
  both: Section[];
}

function sectionsOf(input: AdapterInput): UpjetSections {
  // Namespaced (.m) refs and selectors without a namespace point into the object's own namespace.
  const reader = new FieldReader(input.watched.namespaced ? input.namespace : undefined, input.ctx.transient !== true);
  const forProviderObj = reader.record(input.spec, "forProvider", "spec.forProvider");
  if (!forProviderObj) {
    reader.issue("spec.forProvider", "spec.forProvider is missing; every Upjet resource needs spec.forProvider with at least region");
  }
  const forProvider = { obj: forProviderObj, path: "spec.forProvider" };
  const initProvider = { obj: reader.record(input.spec, "initProvider", "spec.initProvider"), path: "spec.initProvider" };
  return { reader, forProvider, both: [forProvider, initProvider] };
}

function region(s: UpjetSections): Field<string> | undefined {
  const found = s.reader.string(s.forProvider.obj, "region", "spec.forProvider.region");
  if (!found && s.forProvider.obj && s.forProvider.obj.region === undefined) {
    s.reader.issue("spec.forProvider.region", "spec.forProvider.region is required; set the AWS region, e.g. us-east-1");
  }
  return found;
}

function missingRefValue(s: UpjetSections, field: string, what: string): RefValue {
  const path = `${s.forProvider.path}.${field}`;
  s.reader.issue(
    path,
    `none of ${field}, ${field}Ref or ${field}Selector is set in spec.forProvider or spec.initProvider; set one to name the ${what}`,
  );
  return { path };
}

export function adaptUpjet(input: AdapterInput): { object: ModelObject; issues: AdapterIssue[] } {
  const s = sectionsOf(input);
  const object = buildObject(input, s);
  return { object, issues: s.reader.issues };
}

function buildObject(input: AdapterInput, s: UpjetSections): ModelObject {
  switch (input.watched.modelType) {
    case "Endpoint":
      return endpoint(input, s);
    case "RouteTableAssociation":
      return routeTableAssociation(input, s);
    case "SubnetAssociation":
      return subnetAssociation(input, s);
    case "Bucket":
      return bucket(input, s);
    case "BucketPolicy":
      return bucketPolicy(input, s);
    case "Namespace":
      throw new Error("Namespace is not an Upjet kind");
  }
}

function base(input: AdapterInput) {
  return baseOf(input, input.name, input.watched.family, input.watched.namespaced);
}

function endpoint(input: AdapterInput, s: UpjetSections): Endpoint {
  const { reader, both } = s;
  const serviceRef = reader.firstRefValue(both, refKeys("serviceName"));
  const serviceName = serviceRef?.value !== undefined ? { value: serviceRef.value, path: serviceRef.path } : undefined;
  const service = parseServiceName(serviceName?.value);
  const policyField = firstPolicyValue(both);
  const atProvider = isRecord(input.status) ? input.status.atProvider : undefined;
  const statusId = stringAt(atProvider, "id");
  const externalName = input.annotations[EXTERNAL_NAME_ANNOTATION];
  const awsId = looksLikeEndpointId(statusId) ? statusId : looksLikeEndpointId(externalName) ? externalName : undefined;

  const result: Endpoint = {
    type: "Endpoint",
    ...base(input),
    serviceNameByReference: serviceName === undefined && serviceRef !== undefined,
    isS3: service.isS3,
    endpointType: reader.firstString(both, "vpcEndpointType") ?? {
      value: "Gateway",
      path: "spec.forProvider.vpcEndpointType",
    },
    routeTables: [],
    subnets: subnetConfiguration(s),
    observedRouteTableIds: stringsAt(atProvider, "routeTableIds"),
  };
  assignDefined(result, {
    region: region(s),
    serviceName,
    serviceNameRegion: service.region,
    serviceRegion: reader.firstString(both, "serviceRegion"),
    vpc: reader.firstRefValue(both, refKeys("vpcId")),
    ipAddressType: reader.firstString(both, "ipAddressType"),
    dnsRecordIpType: dnsRecordIpType(input, s),
    policy: policyField ? reader.policy(policyField.value, policyField.path, "endpoint") : undefined,
    awsId,
  });
  return result;
}

/** The raw policy value of the first section that sets one. */
function firstPolicyValue(sections: Section[]): { value: unknown; path: string } | undefined {
  for (const section of sections) {
    const value = section.obj?.policy;
    if (value !== undefined && value !== null && value !== "") return { value, path: `${section.path}.policy` };
  }
  return undefined;
}

function subnetConfiguration(s: UpjetSections): RefValue[] {
  for (const section of s.both) {
    const path = `${section.path}.subnetConfiguration`;
    const entries = s.reader.array(section.obj, "subnetConfiguration", path);
    if (entries.length === 0) continue;
    return entries.flatMap((entry, index) => {
      const entryPath = `${path}[${index}]`;
      if (!isRecord(entry)) {
        s.reader.issue(entryPath, `${entryPath} must be an object with subnetId, subnetIdRef or subnetIdSelector`);
        return [];
      }
      const subnet = s.reader.refValue({ obj: entry, path: entryPath }, refKeys("subnetId"));
      return subnet ? [subnet] : [];
    });
  }
  return [];
}

/**
 * dnsOptions is a list in cluster v1beta1 and an object in v1beta2 and `.m` v1beta1. Either
 * shape is read; a shape that does not match the version is noted. From a list, the first
 * element that asks for something other than ipv4 is kept, so the IPv4 rule can see it.
 */
function dnsRecordIpType(input: AdapterInput, s: UpjetSections): Field<string> | undefined {
  const expectsList = input.watched.group === "ec2.aws.upbound.io" && input.watched.version === "v1beta1";
  for (const section of s.both) {
    const path = `${section.path}.dnsOptions`;
    const dnsOptions: unknown = section.obj?.dnsOptions;
    if (dnsOptions === undefined || dnsOptions === null) continue;
    if (Array.isArray(dnsOptions) !== expectsList) {
      s.reader.issue(
        path,
        `${path} is ${expectsList ? "a list" : "an object"} in ${input.apiVersion} ${input.kind}; ` +
          `this manifest has ${Array.isArray(dnsOptions) ? "a list" : "an object"}, which the API server rejects`,
      );
    }
    const candidates: Field<string>[] = [];
    const elements: { obj: unknown; path: string }[] = Array.isArray(dnsOptions)
      ? dnsOptions.map((obj, index) => ({ obj, path: `${path}[${index}]` }))
      : [{ obj: dnsOptions, path }];
    for (const element of elements) {
      if (!isRecord(element.obj)) {
        s.reader.issue(element.path, `${element.path} must be an object with dnsRecordIpType`);
        continue;
      }
      const found = s.reader.string(element.obj, "dnsRecordIpType", `${element.path}.dnsRecordIpType`);
      if (found) candidates.push(found);
    }
    const chosen = candidates.find((c) => c.value.toLowerCase() !== "ipv4") ?? candidates[0];
    if (chosen) return chosen;
  }
  return undefined;
}

function routeTableAssociation(input: AdapterInput, s: UpjetSections): RouteTableAssociation {
  const result: RouteTableAssociation = {
    type: "RouteTableAssociation",
    ...base(input),
    endpoint: s.reader.firstRefValue(s.both, refKeys("vpcEndpointId")) ?? missingRefValue(s, "vpcEndpointId", "VPC endpoint"),
    routeTable: s.reader.firstRefValue(s.both, refKeys("routeTableId")) ?? missingRefValue(s, "routeTableId", "route table"),
  };
  assignDefined(result, { region: region(s) });
  return result;
}

function subnetAssociation(input: AdapterInput, s: UpjetSections): SubnetAssociation {
  const result: SubnetAssociation = {
    type: "SubnetAssociation",
    ...base(input),
    endpoint: s.reader.firstRefValue(s.both, refKeys("vpcEndpointId")) ?? missingRefValue(s, "vpcEndpointId", "VPC endpoint"),
    subnet: s.reader.firstRefValue(s.both, refKeys("subnetId")) ?? missingRefValue(s, "subnetId", "subnet"),
  };
  assignDefined(result, { region: region(s) });
  return result;
}

function bucket(input: AdapterInput, s: UpjetSections): Bucket {
  const result: Bucket = { type: "Bucket", ...base(input), name: crossplaneBucketName(input) };
  const declaredRegion = region(s);
  assignDefined(result, {
    region: declaredRegion ? { value: normaliseS3Region(declaredRegion.value), path: declaredRegion.path } : undefined,
  });
  return result;
}

/** Crossplane buckets are named by the external-name annotation, defaulted from metadata.name. */
export function crossplaneBucketName(input: AdapterInput): Field<string> | undefined {
  const externalName = input.annotations[EXTERNAL_NAME_ANNOTATION];
  if (externalName !== undefined && externalName.trim() !== "")
    return { value: externalName.trim(), path: annotationPath(EXTERNAL_NAME_ANNOTATION) };
  // A generated name is not known until the API server assigns it: the bucket name is unknown.
  return input.generatedName ? undefined : { value: input.name, path: "metadata.name" };
}

function bucketPolicy(input: AdapterInput, s: UpjetSections): BucketPolicy {
  const policyField = firstPolicyValue(s.both);
  const result: BucketPolicy = {
    type: "BucketPolicy",
    ...base(input),
    bucket: s.reader.firstRefValue(s.both, refKeys("bucket")) ?? missingRefValue(s, "bucket", "bucket"),
  };
  if (!policyField) {
    s.reader.issue(
      "spec.forProvider.policy",
      "spec.forProvider.policy is missing (nor in spec.initProvider); a BucketPolicy needs the policy JSON",
    );
  }
  assignDefined(result, {
    region: region(s),
    policy: policyField ? s.reader.policy(policyField.value, policyField.path, "bucket") : undefined,
  });
  return result;
}

/** Sets only the keys whose value is defined, so optional fields stay absent rather than undefined. */
export function assignDefined<T extends object>(target: T, values: Partial<T>): void {
  // for…in over a fresh object literal: its own keys in order, without an array of pairs per call.
  for (const key in values) {
    const value = values[key];
    if (value !== undefined) target[key] = value;
  }
}
