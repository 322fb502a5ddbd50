/**
 * ACK (`*.services.k8s.aws` v1alpha1): VPCEndpoint and Bucket (the bucket carries its policy).
 * The region is not in spec: status, then annotations, then the controller default.
 */
import type { Bucket, Endpoint, Field, ModelObject, RefValue } from "../model/types.js";
import {
  FieldReader,
  annotationPath,
  baseOf,
  isRecord,
  looksLikeEndpointId,
  normaliseS3Region,
  parseServiceName,
  stringAt,
  type JsonRecord,
} from "./common.js";
import type { AdapterInput } from "./input.js";
import type { AdapterIssue } from "./types.js";
import { assignDefined } from "./upjet.js";

export const ACK_REGION_ANNOTATION = "services.k8s.aws/region";
export const ACK_DEFAULT_REGION_ANNOTATION = "services.k8s.aws/default-region";
export const ACK_ADOPTION_FIELDS_ANNOTATION = "services.k8s.aws/adoption-fields";

export function adaptAck(input: AdapterInput): { object: ModelObject; issues: AdapterIssue[] } {
  // ACK `from.namespace` defaults to the object's own namespace.
  const reader = new FieldReader(kubernetesNamespace(input), input.ctx.transient !== true);
  const object = input.watched.modelType === "Endpoint" ? endpoint(input, reader) : bucket(input, reader);
  return { object, issues: reader.issues };
}

/** Objects applied without a namespace land in "default". */
function kubernetesNamespace(input: AdapterInput): string {
  return input.namespace ?? "default";
}

/**
 * The ACK runtime's precedence: the region it recorded in status, the resource annotation,
 * the namespace annotation services.k8s.aws/default-region, the controller's --aws-region.
 */
export function ackRegion(input: AdapterInput): Field<string> {
  const recorded = stringAt(input.status, "ackResourceMetadata", "region");
  if (recorded) return { value: recorded, path: "status.ackResourceMetadata.region" };
  const annotated = input.annotations[ACK_REGION_ANNOTATION]?.trim();
  if (annotated) return { value: annotated, path: annotationPath(ACK_REGION_ANNOTATION) };
  const namespace = kubernetesNamespace(input);
  const fromNamespace: unknown = input.ctx.namespaceDefaultRegion(namespace);
  const namespaceDefault = typeof fromNamespace === "string" ? fromNamespace.trim() : undefined;
  if (namespaceDefault) {
    return { value: namespaceDefault, path: `namespace ${namespace} annotation ${ACK_DEFAULT_REGION_ANNOTATION}` };
  }
  return { value: input.ctx.defaultRegion, path: "config defaults.region" };
}

function base(input: AdapterInput) {
  return baseOf(input, input.name, "ack", true);
}

/** `spec.xID` or `spec.xRef.from`; the controller rejects both together. */
function idOrRef(reader: FieldReader, spec: JsonRecord | undefined, idKey: string, refKey: string): RefValue | undefined {
  const id = reader.string(spec, idKey, `spec.${idKey}`);
  const refBlock = reader.record(spec, refKey, `spec.${refKey}`);
  const ref = refBlock ? reader.reference(refBlock.from, `spec.${refKey}.from`) : undefined;
  if (id && ref) bothSetIssue(reader, idKey, refKey);
  if (id) return { value: id.value, ...(ref ? { ref } : {}), path: id.path };
  if (ref) return { ref, path: `spec.${refKey}.from` };
  return undefined;
}

/** `spec.xIDs[]` and `spec.xRefs[].from`. */
function idsAndRefs(reader: FieldReader, spec: JsonRecord | undefined, idsKey: string, refsKey: string): RefValue[] {
  const ids = reader.stringList(spec, idsKey, `spec.${idsKey}`).map((f): RefValue => ({ value: f.value, path: f.path }));
  const refs = reader.array(spec, refsKey, `spec.${refsKey}`).flatMap((entry, index): RefValue[] => {
    const path = `spec.${refsKey}[${index}].from`;
    const ref = isRecord(entry) ? reader.reference(entry.from, path) : undefined;
    if (!isRecord(entry)) reader.issue(`spec.${refsKey}[${index}]`, `spec.${refsKey}[${index}] must be an object {from: {name}}`);
    return ref ? [{ ref, path }] : [];
  });
  if (ids.length > 0 && refs.length > 0) bothSetIssue(reader, idsKey, refsKey);
  return [...ids, ...refs];
}

function bothSetIssue(reader: FieldReader, idKey: string, refKey: string): void {
  reader.issue(`spec.${refKey}`, `spec.${idKey} and spec.${refKey} are both set; the ACK controller rejects this: keep only one of them`);
}

function endpoint(input: AdapterInput, reader: FieldReader): Endpoint {
  const spec = input.spec;
  const service = idOrRef(reader, spec, "serviceName", "serviceRef");
  const serviceName = service?.value !== undefined ? { value: service.value, path: service.path } : undefined;
  const parsedService = parseServiceName(serviceName?.value);
  const vpc = idOrRef(reader, spec, "vpcID", "vpcRef");
  const statusId = stringAt(input.status, "vpcEndpointID");
  const adoptedId = adoptionField(input, reader, "vpcEndpointID");

  const result: Endpoint = {
    type: "Endpoint",
    ...base(input),
    region: ackRegion(input),
    serviceNameByReference: serviceName === undefined && service?.ref !== undefined,
    isS3: parsedService.isS3,
    endpointType: reader.string(spec, "vpcEndpointType", "spec.vpcEndpointType") ?? {
      value: "Gateway",
      path: "spec.vpcEndpointType",
    },
    routeTables: idsAndRefs(reader, spec, "routeTableIDs", "routeTableRefs"),
    subnets: idsAndRefs(reader, spec, "subnetIDs", "subnetRefs"),
    // ACK status does not echo route tables.
    observedRouteTableIds: [],
  };
  assignDefined(result, {
    serviceName,
    serviceNameRegion: parsedService.region,
    serviceRegion: reader.string(spec, "serviceRegion", "spec.serviceRegion"),
    vpc,
    ipAddressType: reader.string(spec, "ipAddressType", "spec.ipAddressType"),
    dnsRecordIpType: reader.string(
      reader.record(spec, "dnsOptions", "spec.dnsOptions"),
      "dnsRecordIPType",
      "spec.dnsOptions.dnsRecordIPType",
    ),
    policy: reader.policy(spec?.policyDocument, "spec.policyDocument", "endpoint"),
    awsId: looksLikeEndpointId(statusId) ? statusId : looksLikeEndpointId(adoptedId) ? adoptedId : undefined,
  });
  return result;
}

/** A key of the services.k8s.aws/adoption-fields JSON annotation. */
function adoptionField(input: AdapterInput, reader: FieldReader, key: string): string | undefined {
  const raw = input.annotations[ACK_ADOPTION_FIELDS_ANNOTATION];
  if (raw === undefined || raw.trim() === "") return undefined;
  const path = annotationPath(ACK_ADOPTION_FIELDS_ANNOTATION);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    reader.issue(path, `${path} is not valid JSON; write it as {"${key}": "…"}`);
    return undefined;
  }
  if (!isRecord(parsed)) {
    reader.issue(path, `${path} must be a JSON object such as {"${key}": "…"}`);
    return undefined;
  }
  const value = parsed[key];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

function bucket(input: AdapterInput, reader: FieldReader): Bucket {
  const spec = input.spec;
  const result: Bucket = { type: "Bucket", ...base(input) };
  const specName = reader.string(spec, "name", "spec.name");
  // Adopt-only manifests have no spec: the bucket name is in the adoption-fields annotation.
  const adoptedName = specName ? undefined : adoptionField(input, reader, "name");
  if (specName) result.name = specName;
  else if (adoptedName) result.name = { value: adoptedName, path: `${annotationPath(ACK_ADOPTION_FIELDS_ANNOTATION)}.name` };
  else {
    reader.issue(
      "spec.name",
      `spec.name is missing; set it to the S3 bucket name (or, for adoption, annotation ${ACK_ADOPTION_FIELDS_ANNOTATION} {"name": "…"})`,
    );
  }
  const createConfiguration = reader.record(spec, "createBucketConfiguration", "spec.createBucketConfiguration");
  const locationConstraint = reader.string(createConfiguration, "locationConstraint", "spec.createBucketConfiguration.locationConstraint");
  result.region = locationConstraint
    ? { value: normaliseS3Region(locationConstraint.value), path: locationConstraint.path }
    : ackRegion(input);
  assignDefined(result, { policy: reader.policy(spec?.policy, "spec.policy", "bucket") });
  return result;
}
