/**
 * The engine's findings for what `map` draws: each endpoint node carries the findings of its
 * VPCEndpoint and of the route table associations naming it, each bucket node those of its
 * Bucket objects and of the bucket policies for it. Counted by level (the rule's action:
 * deny / warn / audit) with the rule ids, as `check` would report them. Pure: the inventory in,
 * summaries out.
 */

import type { Config } from "../../core/config.js";
import { review } from "../../core/engine/engine.js";
import type { Inventory } from "../../core/inventory/inventory.js";
import type { Finding } from "../../core/model/findings.js";
import { describeRef } from "../../core/model/refs.js";
import type { ModelObject } from "../../core/model/types.js";
import { isS3Endpoint } from "../../core/rules/policy-views.js";
import type { MapGraph } from "./map.js";

export type FindingLevel = Finding["action"];

export interface NodeFindings {
  deny: number;
  warn: number;
  audit: number;
  /** Distinct rule ids, sorted. */
  rules: string[];
  /** The first few findings in one line each ("rule: message"), for the details. */
  messages: string[];
}

/** Messages kept per node: a node's details stay small whatever an object has wrong. */
const MAX_MESSAGES = 5;

export const emptyFindings = (): NodeFindings => ({ deny: 0, warn: 0, audit: 0, rules: [], messages: [] });

export function summarize(findings: readonly Finding[]): NodeFindings {
  const out = emptyFindings();
  const rules = new Set<string>();
  for (const f of findings) {
    out[f.action] += 1;
    rules.add(f.rule);
    if (out.messages.length < MAX_MESSAGES) out.messages.push(`${f.rule} (${f.action}): ${f.message}`);
  }
  out.rules = [...rules].sort();
  return out;
}

/** Two summaries as one (a folded node stands for several buckets). */
export function mergeFindings(a: NodeFindings, b: NodeFindings): NodeFindings {
  return {
    deny: a.deny + b.deny,
    warn: a.warn + b.warn,
    audit: a.audit + b.audit,
    rules: [...new Set([...a.rules, ...b.rules])].sort(),
    messages: [...a.messages, ...b.messages].slice(0, MAX_MESSAGES),
  };
}

/** Findings by map node key (endpoint: describeRef of the VPCEndpoint; bucket: "bucket:NAME"). */
export function findingsForMap(graph: MapGraph, inventory: Inventory, config: Config): Map<string, NodeFindings> {
  const reviewAll = (subjects: readonly ModelObject[]) =>
    subjects.flatMap((subject) => review({ subject, mode: "cli", inventoryComplete: inventory.complete }, { config, inventory }));
  const out = new Map<string, NodeFindings>();
  const drawnEndpoints = new Set(graph.endpoints.map((e) => e.key));
  for (const endpoint of inventory.endpoints()) {
    const key = describeRef(endpoint.ref);
    if (!isS3Endpoint(endpoint) || !drawnEndpoints.has(key)) continue;
    out.set(key, summarize(reviewAll([endpoint, ...inventory.routeTableAssociationsFor(endpoint)])));
  }
  // Once, not per bucket: policies naming a bucket that has no Bucket object in the inputs.
  const policiesByName = new Map<string, ModelObject[]>();
  for (const p of inventory.bucketPolicies()) {
    const name = p.bucket.value;
    if (name === undefined) continue;
    const list = policiesByName.get(name);
    if (list) list.push(p);
    else policiesByName.set(name, [p]);
  }
  for (const bucket of graph.buckets) {
    const objects = inventory.bucketsNamed(bucket.name);
    const policies = new Map<string, ModelObject>();
    for (const o of objects) for (const p of inventory.policiesForBucket(o)) policies.set(describeRef(p.ref), p);
    for (const p of policiesByName.get(bucket.name) ?? []) policies.set(describeRef(p.ref), p);
    out.set(bucket.key, summarize(reviewAll([...objects, ...policies.values()])));
  }
  return out;
}
