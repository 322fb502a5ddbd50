/**
 * Crossplane community provider-aws (`*.aws.crossplane.io`): VPCEndpoint v1alpha1,
 * Bucket v1beta1 (structured policy, locationConstraint as region), BucketPolicy v1alpha3.
 */
import type { Bucket, BucketPolicy, Endpoint, ModelObject, PolicyField, RefValue } from "../model/types.js";
import { parsePolicy } from "../iam/parse.js";
import type { PolicyKind } from "../iam/types.js";
import {
  EXTERNAL_NAME_ANNOTATION,
  FieldReader,
  baseOf,
  describe,
  isRecord,
  looksLikeEndpointId,
  normaliseS3Region,
  parseServiceName,
  refKeys,
  safeStringify,
  stringAt,
  stringsAt,
  type Section,
} from "./common.js";
import { structuredPolicyToIam } from "./community-policy.js";
import type { AdapterInput } from "./input.js";
import type { AdapterIssue } from "./types.js";
import { assignDefined, crossplaneBucketName } from "./upjet.js";

export function adaptCommunity(input: AdapterInput): { object: ModelObject; issues: AdapterIssue[] } {
  const reader = new FieldReader(undefined, input.ctx.transient !== true);
  const forProvider: Section = { obj: reader.record(input.spec, "forProvider", "spec.forProvider"), path: "spec.forProvider" };
  if (!forProvider.obj) {
    reader.issue("spec.forProvider", "spec.forProvider is missing; community provider resources need spec.forProvider");
  }
  let object: ModelObject;
  if (input.watched.modelType === "Endpoint") object = endpoint(input, reader, forProvider);
  else if (input.watched.modelType === "Bucket") object = bucket(input, reader, forProvider);
  else object = bucketPolicy(input, reader, forProvider);
  return { object, issues: reader.issues };
}

function base(input: AdapterInput) {
  return baseOf(input, input.name, "community", false);
}

function endpoint(input: AdapterInput, reader: FieldReader, fp: Section): Endpoint {
  const serviceName = reader.string(fp.obj, "serviceName", "spec.forProvider.serviceName");
  if (!serviceName) {
    reader.issue("spec.forProvider.serviceName", "spec.forProvider.serviceName is required, e.g. com.amazonaws.us-east-1.s3");
  }
  const service = parseServiceName(serviceName?.value);
  const externalName = input.annotations[EXTERNAL_NAME_ANNOTATION];
  const statusId = stringAt(input.status, "atProvider", "vpcEndpointID");
  const routeTableSelector = reader.selector(fp.obj?.routeTableIdSelector, "spec.forProvider.routeTableIdSelector");

  const result: Endpoint = {
    type: "Endpoint",
    ...base(input),
    serviceNameByReference: false,
    isS3: service.isS3,
    endpointType: reader.string(fp.obj, "vpcEndpointType", "spec.forProvider.vpcEndpointType") ?? {
      value: "Gateway",
      path: "spec.forProvider.vpcEndpointType",
    },
    routeTables: idsAndRefs(reader, fp, "routeTableIds", "routeTableIdRefs"),
    subnets: [
      ...idsAndRefs(reader, fp, "subnetIds", "subnetIdRefs"),
      ...subnetConfigurations(reader, fp),
      ...selectorAsRefValue(reader, fp, "subnetIdSelector"),
    ],
    observedRouteTableIds: stringsAt(input.status, "atProvider", "routeTableIDs"),
  };
  assignDefined(result, {
    region: requiredRegion(reader, fp),
    serviceName,
    serviceNameRegion: service.region,
    vpc: reader.refValue(fp, refKeys("vpcId")),
    routeTableSelector: routeTableSelector ? { selector: routeTableSelector, path: "spec.forProvider.routeTableIdSelector" } : undefined,
    ipAddressType: reader.string(fp.obj, "ipAddressType", "spec.forProvider.ipAddressType"),
    dnsRecordIpType: reader.string(
      reader.record(fp.obj, "dnsOptions", "spec.forProvider.dnsOptions"),
      "dnsRecordIPType",
      "spec.forProvider.dnsOptions.dnsRecordIPType",
    ),
    // An empty policyDocument is the AWS default full-access policy: modelled as no policy.
    policy: reader.policy(fp.obj?.policyDocument, "spec.forProvider.policyDocument", "endpoint"),
    awsId: looksLikeEndpointId(externalName) ? externalName : looksLikeEndpointId(statusId) ? statusId : undefined,
  });
  return result;
}

function requiredRegion(reader: FieldReader, fp: Section) {
  const found = reader.string(fp.obj, "region", "spec.forProvider.region");
  if (!found && fp.obj && fp.obj.region === undefined) {
    reader.issue("spec.forProvider.region", "spec.forProvider.region is required; set the AWS region, e.g. eu-central-1");
  }
  return found;
}

/** `xIds[]` plus `xIdRefs[]` (plural Refs) as RefValues. */
function idsAndRefs(reader: FieldReader, fp: Section, idsKey: string, refsKey: string): RefValue[] {
  const ids: RefValue[] = reader
    .stringList(fp.obj, idsKey, `${fp.path}.${idsKey}`)
    .map((field) => ({ value: field.value, path: field.path }));
  const refs = reader.array(fp.obj, refsKey, `${fp.path}.${refsKey}`).flatMap((entry, index): RefValue[] => {
    const path = `${fp.path}.${refsKey}[${index}]`;
    const ref = reader.reference(entry, path);
    return ref ? [{ ref, path }] : [];
  });
  return [...ids, ...refs];
}

function subnetConfigurations(reader: FieldReader, fp: Section): RefValue[] {
  const path = `${fp.path}.subnetConfigurations`;
  return reader.array(fp.obj, "subnetConfigurations", path).flatMap((entry, index): RefValue[] => {
    const subnet = isRecord(entry) ? reader.string(entry, "subnetID", `${path}[${index}].subnetID`) : undefined;
    return subnet ? [{ value: subnet.value, path: subnet.path }] : [];
  });
}

function selectorAsRefValue(reader: FieldReader, fp: Section, key: string): RefValue[] {
  const path = `${fp.path}.${key}`;
  const selector = reader.selector(fp.obj?.[key], path);
  return selector ? [{ selector, path }] : [];
}

function bucket(input: AdapterInput, reader: FieldReader, fp: Section): Bucket {
  const result: Bucket = { type: "Bucket", ...base(input), name: crossplaneBucketName(input) };
  const path = "spec.forProvider.locationConstraint";
  const raw = fp.obj?.locationConstraint;
  if (raw !== undefined && raw !== null && typeof raw !== "string") {
    reader.issue(path, `${path} must be a string region such as eu-west-1, got ${describe(raw)}`);
  } else {
    if (raw === undefined && fp.obj) {
      reader.issue(path, `${path} is required by the CRD; without it the bucket is created in us-east-1`);
    }
    // There is no region field: locationConstraint is the bucket's region (empty/US = us-east-1).
    result.region = { value: normaliseS3Region(raw), path };
  }
  assignDefined(result, { policy: structuredPolicy(reader, fp.obj?.policy, "spec.forProvider.policy", "bucket") });
  return result;
}

function bucketPolicy(input: AdapterInput, reader: FieldReader, fp: Section): BucketPolicy {
  const bucketRef = reader.refValue(fp, refKeys("bucketName"));
  if (!bucketRef) {
    reader.issue(
      "spec.forProvider.bucketName",
      "none of bucketName, bucketNameRef or bucketNameSelector is set; set one to name the bucket",
    );
  }
  const result: BucketPolicy = {
    type: "BucketPolicy",
    ...base(input),
    bucket: bucketRef ?? { path: "spec.forProvider.bucketName" },
  };
  // rawPolicy wins over the structured policy when both are set (the controller's rule).
  const raw = reader.policy(fp.obj?.rawPolicy, "spec.forProvider.rawPolicy", "bucket");
  const policy = raw ?? structuredPolicy(reader, fp.obj?.policy, "spec.forProvider.policy", "bucket");
  if (!policy) {
    reader.issue(
      "spec.forProvider.rawPolicy",
      "neither spec.forProvider.rawPolicy nor spec.forProvider.policy is set; a BucketPolicy needs one",
    );
  }
  assignDefined(result, { region: requiredRegion(reader, fp), policy });
  return result;
}

/** The community structured policy object → plain IAM JSON → parsed. */
export function structuredPolicy(reader: FieldReader, value: unknown, path: string, kind: PolicyKind): PolicyField | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) {
    reader.issue(path, `${path} must be an object {version, statements: [...]}, got ${describe(value)}`);
    return undefined;
  }
  const converted = structuredPolicyToIam(value);
  for (const problem of converted.problems) reader.issue(`${path} → ${problem.path}`, problem.message);
  const field: PolicyField = { ...parsePolicy(converted.document, kind), path, text: safeStringify(converted.document) };
  if (converted.unresolved.length > 0) field.unresolvedReferences = converted.unresolved;
  field.sourcePaths = converted.sourcePaths;
  return field;
}
