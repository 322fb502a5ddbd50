/**
 * Field readers shared by the family adapters. Every reader records the JSON path it read
 * from and reports, instead of throwing, a value of the wrong type.
 */
import { intern } from "../util/intern.js";
import { parsePolicy } from "../iam/parse.js";
import type { PolicyKind } from "../iam/types.js";
import type { Family, Field, PolicyField, RefValue, ResourceRef } from "../model/types.js";
import type { AdapterIssue } from "./types.js";
import { isRecord, type JsonRecord } from "../util/record.js";

export const EXTERNAL_NAME_ANNOTATION = "crossplane.io/external-name";

export { isRecord, type JsonRecord } from "../util/record.js";

export function annotationPath(name: string): string {
  return `metadata.annotations["${name}"]`;
}

/** A place a field can be read from, e.g. spec.forProvider or spec.initProvider. */
export interface Section {
  obj: JsonRecord | undefined;
  path: string;
}

/** Collects issues for one object while its fields are read. */
export class FieldReader {
  readonly issues: AdapterIssue[] = [];

  constructor(
    /** The namespace given to references and selectors that name none (namespaced kinds). */
    readonly defaultNamespace?: string,
    /** Field paths are interned for models that are kept (see AdapterContext.transient). */
    private readonly keepsPaths = true,
  ) {}

  private keptPath(path: string): string {
    return this.keepsPaths ? intern(path) : path;
  }

  issue(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  /** A sub-object; anything else but absent/null is reported. */
  record(container: JsonRecord | undefined, key: string, path: string): JsonRecord | undefined {
    const value = container?.[key];
    if (value === undefined || value === null) return undefined;
    if (isRecord(value)) return value;
    this.issue(path, `${path} must be an object, got ${describe(value)}; fix the manifest so it matches the CRD schema`);
    return undefined;
  }

  /** A non-empty string. Empty strings count as unset, as the providers treat them. */
  string(container: JsonRecord | undefined, key: string, path: string): Field<string> | undefined {
    const value = container?.[key];
    if (value === undefined || value === null) return undefined;
    // Paths are built per object but the same in every object: kept once (see keptPath()).
    if (typeof value === "string") return value.trim() === "" ? undefined : { value: value.trim(), path: this.keptPath(path) };
    this.issue(path, `${path} must be a string, got ${describe(value)}; quote the value in the manifest`);
    return undefined;
  }

  /** The first section that sets the field wins (forProvider before initProvider). */
  firstString(sections: Section[], key: string): Field<string> | undefined {
    for (const section of sections) {
      const found = this.string(section.obj, key, `${section.path}.${key}`);
      if (found) return found;
    }
    return undefined;
  }

  array(container: JsonRecord | undefined, key: string, path: string): unknown[] {
    const value = container?.[key];
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    this.issue(path, `${path} must be a list, got ${describe(value)}; write it as a YAML list`);
    return [];
  }

  /** A list of strings, each with its indexed path; empty entries are skipped. */
  stringList(container: JsonRecord | undefined, key: string, path: string): Field<string>[] {
    const fields: Field<string>[] = [];
    this.array(container, key, path).forEach((item, index) => {
      const itemPath = `${path}[${index}]`;
      if (typeof item === "string") {
        if (item.trim() !== "") fields.push({ value: item.trim(), path: this.keptPath(itemPath) });
      } else {
        this.issue(itemPath, `${itemPath} must be a string, got ${describe(item)}; quote the value in the manifest`);
      }
    });
    return fields;
  }

  /** A Crossplane reference {name, namespace?} or the ACK `from` block. */
  reference(value: unknown, path: string): RefValue["ref"] {
    if (value === undefined || value === null) return undefined;
    if (!isRecord(value)) {
      this.issue(path, `${path} must be an object with a name, got ${describe(value)}`);
      return undefined;
    }
    const name = this.string(value, "name", `${path}.name`);
    if (!name) {
      this.issue(`${path}.name`, `${path}.name is missing; a reference needs the name of the object it points at`);
      return undefined;
    }
    const namespace = this.string(value, "namespace", `${path}.namespace`)?.value ?? this.defaultNamespace;
    return namespace === undefined ? { name: name.value } : { name: name.value, namespace };
  }

  /** A Crossplane selector {matchLabels, matchControllerRef, namespace?}. */
  selector(value: unknown, path: string): RefValue["selector"] {
    if (value === undefined || value === null) return undefined;
    if (!isRecord(value)) {
      this.issue(path, `${path} must be an object with matchLabels, got ${describe(value)}`);
      return undefined;
    }
    const matchLabels: Record<string, string> = {};
    const labels = this.record(value, "matchLabels", `${path}.matchLabels`);
    for (const [key, label] of Object.entries(labels ?? {})) {
      if (typeof label === "string") matchLabels[key] = label;
      else this.issue(`${path}.matchLabels.${key}`, `label values must be strings; quote ${path}.matchLabels.${key}`);
    }
    const namespace = this.string(value, "namespace", `${path}.namespace`)?.value ?? this.defaultNamespace;
    return namespace === undefined ? { matchLabels } : { matchLabels, namespace };
  }

  /**
   * A value given directly, by reference or by selector (Crossplane `x`/`xRef`/`xSelector`).
   * Both a value and a reference may be kept: the value is what the provider uses.
   */
  refValue(section: Section, keys: RefKeys): RefValue | undefined {
    const value = this.string(section.obj, keys.value, `${section.path}.${keys.value}`);
    const ref = this.reference(section.obj?.[keys.ref], `${section.path}.${keys.ref}`);
    const selector = this.selector(section.obj?.[keys.selector], `${section.path}.${keys.selector}`);
    if (!value && !ref && !selector) return undefined;
    const key = value ? keys.value : ref ? keys.ref : keys.selector;
    return {
      ...(value ? { value: value.value } : {}),
      ...(ref ? { ref } : {}),
      ...(selector ? { selector } : {}),
      path: this.keptPath(`${section.path}.${key}`),
    };
  }

  /** The first section that sets any of value/ref/selector wins. */
  firstRefValue(sections: Section[], keys: RefKeys): RefValue | undefined {
    for (const section of sections) {
      const found = this.refValue(section, keys);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * A policy field. Strings are parsed as JSON (blank = no policy, as every provider treats it);
   * a structured object is accepted with a note, since the CRDs declare these fields as strings.
   */
  policy(value: unknown, path: string, kind: PolicyKind): PolicyField | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "string") {
      if (value.trim() === "") return undefined;
      return { ...parsePolicy(value, kind), path, text: value };
    }
    this.issue(path, `${path} must be a JSON string (the CRD declares a string); write the policy as a YAML block scalar (policy: |)`);
    return { ...parsePolicy(value, kind), path, text: safeStringify(value) };
  }
}

export interface RefKeys {
  value: string;
  ref: string;
  selector: string;
}

export function refKeys(field: string): RefKeys {
  return { value: field, ref: `${field}Ref`, selector: `${field}Selector` };
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

export function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * S3 LocationConstraint → region. Empty, null and "US" mean US Standard (us-east-1);
 * "EU" is the legacy name of eu-west-1.
 */
export function normaliseS3Region(locationConstraint: string | null | undefined): string {
  const value = (locationConstraint ?? "").trim();
  if (value === "" || value.toUpperCase() === "US") return "us-east-1";
  if (value.toUpperCase() === "EU") return "eu-west-1";
  return value;
}

export interface ServiceNameInfo {
  isS3: boolean;
  region?: string;
}

// [<partition prefix>.]com.amazonaws.<region>.<service>, e.g. cn.com.amazonaws.cn-north-1.s3
const SERVICE_NAME = /^(?:[a-z0-9-]+\.)*?com\.amazonaws\.([a-z]{2}(?:-[a-z]+)+-\d+)\.([a-z0-9.-]+)$/;

export function parseServiceName(serviceName: string | undefined): ServiceNameInfo {
  if (serviceName === undefined) return { isS3: false };
  const match = SERVICE_NAME.exec(serviceName.trim().toLowerCase());
  if (!match) return { isS3: false };
  return { isS3: match[2] === "s3", region: match[1] };
}

const ENDPOINT_ID = /^vpce-[0-9a-f]+$/;

export function looksLikeEndpointId(value: string | undefined): value is string {
  return value !== undefined && ENDPOINT_ID.test(value);
}

/** Labels and annotations as string maps; non-string values are dropped (the API server rejects them). */
export function stringMap(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (!isRecord(value)) return result;
  for (const key of Object.keys(value)) {
    const entry = value[key];
    if (typeof entry === "string") result[key] = entry;
  }
  return result;
}

/** The identity and metadata every model object shares. */
export function baseOf(
  /** `annotations`, when given, are metadata.annotations already read as a string map. */
  obj: { apiVersion: string; kind: string; metadata: JsonRecord; annotations?: Record<string, string> },
  name: string,
  family: Family,
  namespaced: boolean,
): { ref: ResourceRef; family: Family; labels: Record<string, string>; annotations: Record<string, string> } {
  const namespace = namespaced && typeof obj.metadata.namespace === "string" ? obj.metadata.namespace : null;
  const ref: ResourceRef = { apiVersion: obj.apiVersion, kind: obj.kind, namespace, name };
  if (typeof obj.metadata.uid === "string") ref.uid = obj.metadata.uid;
  return {
    ref,
    family,
    labels: stringMap(obj.metadata.labels),
    annotations: obj.annotations ?? stringMap(obj.metadata.annotations),
  };
}

/** Reads an object at a dotted path of plain keys, e.g. status.atProvider. */
export function dig(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

export function stringAt(value: unknown, ...keys: string[]): string | undefined {
  const found = dig(value, ...keys);
  return typeof found === "string" && found.trim() !== "" ? found.trim() : undefined;
}

export function stringsAt(value: unknown, ...keys: string[]): string[] {
  const found = dig(value, ...keys);
  return Array.isArray(found) ? found.filter((v): v is string => typeof v === "string" && v !== "") : [];
}
