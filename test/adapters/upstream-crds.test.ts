/**
 * Checks against the upstream providers' own files in ../shared/crds (reference data, never
 * copied into the project): (a) the providers' example manifests adapt cleanly; (b) our
 * fixtures and examples validate against the upstream CRD schema of their version.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { describe, expect, it } from "vitest";
import { adapt, findKind } from "../../src/core/adapters/index.js";
import { isIdentityKind } from "../../src/app/explain/identity.js";
import { EXAMPLES, FIXTURES, REPO_ROOT, ctx, parseYaml, yamlFilesUnder } from "./helpers.js";

const CRDS = path.resolve(REPO_ROOT, "../shared/crds");
const PROVIDER_DIRS = ["upjet-aws", "provider-aws-community", "ack"];

// Runs with or without ../shared/crds, so that the file always has a suite.
describe("placeholder substitution for upstream examples", () => {
  it("replaces ${…}, $NAME and <…> placeholders, and Terraform data policies with a JSON policy", () => {
    expect(
      substitutePlaceholders({
        metadata: { name: "$BUCKET_NAME", annotations: { "crossplane.io/external-name": "${Rand.RFC1123Subdomain}" } },
        spec: {
          forProvider: { policy: "${data.aws_iam_policy_document.allow.json}", bucket: "<bucket name>", tag: "$TAG_KEY" },
        },
      }),
    ).toEqual({
      metadata: { name: EXAMPLE_BUCKET, annotations: { "crossplane.io/external-name": EXAMPLE_BUCKET } },
      spec: { forProvider: { policy: POLICY_PLACEHOLDER_VALUE, bucket: EXAMPLE_BUCKET, tag: "e2e-tag-key" } },
    });
  });
});

function registerUpstreamTests(): void {
  describe("upstream example manifests adapt without invalid results or adapter issues", () => {
    const files = PROVIDER_DIRS.flatMap((dir) => {
      const examples = path.join(CRDS, dir, "examples");
      return existsSync(examples) ? yamlFilesUnder(examples) : [];
    });
    it("finds the upstream examples", () => {
      expect(files.length).toBeGreaterThan(30);
    });
    for (const file of files) {
      const documents = parseYaml(readFileSync(file, "utf8"), file).map(substitutePlaceholders);
      const ours = documents.filter((doc) => isKubeObject(doc) && findKind(doc.apiVersion, doc.kind) !== undefined);
      if (ours.length === 0) continue;
      it(`${path.relative(CRDS, file)} (${ours.length} of our kinds)`, () => {
        for (const doc of ours) {
          const result = adapt(doc, ctx);
          expect(result.status, JSON.stringify(result)).toBe("adapted");
          if (result.status === "adapted") expect(result.issues).toEqual([]);
        }
      });
    }
  });

  describe("our fixtures and examples validate against the upstream CRD schemas", () => {
    const validators = loadCrdValidators();
    it("loads a schema for every watched kind", () => {
      for (const key of validators.keys()) expect(key).toMatch(/^[a-z0-9.]+\/v\w+ \w+$/);
      expect(validators.size).toBeGreaterThanOrEqual(17);
    });
    const files = [...yamlFilesUnder(FIXTURES), ...(existsSync(EXAMPLES) ? yamlFilesUnder(EXAMPLES) : [])];
    for (const file of files) {
      const documents = parseYaml(readFileSync(file, "utf8"), file);
      documents.forEach((doc, index) => {
        if (!isKubeObject(doc)) return;
        const name = `${path.relative(REPO_ROOT, file)} #${index} ${doc.apiVersion} ${doc.kind}`;
        if (doc.apiVersion === "v1") {
          // Core kinds have no CRD; they are checked by the adapter tests instead.
          it(`${name}: core kind, no CRD to validate against`, () => {
            expect(doc.kind).toBe("Namespace");
          });
          return;
        }
        if (isIdentityKind(doc)) {
          // IAM kinds are read by `explain` only; ../shared/crds holds no CRD for them (the
          // fields read are listed in the README), so they are checked by test/explain.
          it(`${name}: IAM kind read by explain only, no upstream CRD to validate against`, () => {
            expect(validators.has(`${doc.apiVersion} ${doc.kind}`)).toBe(false);
          });
          return;
        }
        it(name, () => {
          const validate = validators.get(`${doc.apiVersion} ${doc.kind}`);
          expect(validate, `no upstream CRD for ${doc.apiVersion} ${doc.kind}`).toBeDefined();
          if (!validate) return;
          const valid = validate(doc);
          expect(valid ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`)).toEqual([]);
        });
      });
    }
  });
}

interface KubeDoc {
  apiVersion: string;
  kind: string;
}

function isKubeObject(value: unknown): value is KubeDoc {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<string, unknown>).apiVersion === "string" &&
    typeof (value as Record<string, unknown>).kind === "string"
  );
}

type Schema = Record<string, unknown>;

/**
 * One ajv validator per served group/version/kind. Kubernetes extensions (x-kubernetes-*) are
 * ignored, formats are not validated (int32/int64/date-time are Kubernetes quirks here), and,
 * like `kubectl apply` with strict field validation, unknown fields are rejected wherever the
 * schema does not preserve them, so a misspelt field in our manifests fails.
 */
function loadCrdValidators(): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  const validators = new Map<string, ValidateFunction>();
  for (const dir of PROVIDER_DIRS) {
    for (const entry of readdirSync(path.join(CRDS, dir))) {
      if (!entry.endsWith(".yaml")) continue;
      const file = path.join(CRDS, dir, entry);
      for (const crd of parseYaml(readFileSync(file, "utf8"), file)) {
        const spec = (
          crd as { spec?: { group: string; names: { kind: string }; versions: { name: string; schema?: { openAPIV3Schema: Schema } }[] } }
        ).spec;
        if (!spec) continue;
        for (const version of spec.versions) {
          if (!version.schema) continue;
          const schema = rejectUnknownFields(structuredClone(version.schema.openAPIV3Schema));
          validators.set(`${spec.group}/${version.name} ${spec.names.kind}`, ajv.compile(schema));
        }
      }
    }
  }
  return validators;
}

function rejectUnknownFields(schema: Schema): Schema {
  const properties = schema.properties as Record<string, Schema> | undefined;
  if (properties) {
    if (schema["x-kubernetes-preserve-unknown-fields"] !== true && schema.additionalProperties === undefined) {
      schema.additionalProperties = false;
    }
    for (const child of Object.values(properties)) rejectUnknownFields(child);
  }
  if (schema.items && typeof schema.items === "object") rejectUnknownFields(schema.items as Schema);
  if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
    rejectUnknownFields(schema.additionalProperties as Schema);
  }
  return schema;
}

// --- placeholders in the upstream examples -------------------------------------------------

const EXAMPLE_BUCKET = "acme-e2e-bucket-4f7a2c";
const POLICY_PLACEHOLDER_VALUE = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::123456789012:root" },
      Action: ["s3:GetObject", "s3:ListBucket"],
      Resource: [`arn:aws:s3:::${EXAMPLE_BUCKET}`, `arn:aws:s3:::${EXAMPLE_BUCKET}/*`],
    },
  ],
});

const SHELL_VARIABLES: Record<string, string> = {
  BUCKET_NAME: EXAMPLE_BUCKET,
  RANDOM_BUCKET_NAME: EXAMPLE_BUCKET,
  STACK_BUCKET_NAME: `${EXAMPLE_BUCKET}-stack`,
  ADOPT_OR_CREATE_BUCKET_NAME: `${EXAMPLE_BUCKET}-adopt`,
  REPLICATION_BUCKET_NAME: `${EXAMPLE_BUCKET}-replica`,
  ADOPTION_POLICY: "adopt-or-create",
  ADOPTION_FIELDS: JSON.stringify({ name: EXAMPLE_BUCKET }),
  DELETION_POLICY: "retain",
  BUCKET_NAMESPACE: "global",
  BUCKET_ARN: "arn:aws:s3express:us-west-2:123456789012:bucket/acme-e2e--usw2-az1--x-s3",
  LOCATION_NAME: "usw2-az1",
  NOTIFICATION_TOPIC_ARN: "arn:aws:sns:us-west-2:123456789012:acme-e2e-topic",
  REPLICATION_ROLE_ARN: "arn:aws:iam::123456789012:role/acme-e2e-replication",
  SERVICE_NAME: "com.amazonaws.us-west-2.s3",
  VPC_ENDPOINT_TYPE: "Gateway",
  VPC_ID: "vpc-0a1b2c3d4e5f67890",
  SUBNET_ID: "subnet-0a1b2c3d4e5f60001",
};

/** Replaces `${…}`, `$NAME` and `<…>` placeholders with realistic values, after YAML parsing. */
function substitutePlaceholders(value: unknown): unknown {
  if (typeof value === "string") return substituteString(value);
  if (Array.isArray(value)) return value.map(substitutePlaceholders);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [
        key,
        (key === "policy" || key === "rawPolicy") && typeof child === "string" && /^\$\{data\..*\}$/.test(child.trim())
          ? POLICY_PLACEHOLDER_VALUE
          : substitutePlaceholders(child),
      ]),
    );
  }
  return value;
}

function substituteString(text: string): string {
  return text
    .replace(/\$\{Rand\.RFC1123Subdomain\}/g, EXAMPLE_BUCKET)
    .replace(/\$\{[^}]*\}/g, "example-value")
    .replace(/\$([A-Z][A-Z0-9_]*)/g, (_, name: string) => SHELL_VARIABLES[name] ?? `e2e-${name.toLowerCase().replace(/_/g, "-")}`)
    .replace(/<bucket name>/g, EXAMPLE_BUCKET)
    .replace(/<sample-account>/g, "123456789012")
    .replace(/<kms-key-id>/g, "1234abcd-12ab-34cd-56ef-1234567890ab");
}

// Registered last, once every constant above is initialised.
if (!existsSync(CRDS)) {
  console.warn(`${CRDS} not found: upstream CRD checks skipped`);
} else {
  registerUpstreamTests();
}
