/**
 * The admission use case as the webhook server takes it: src/platform/http/webhook-server.ts
 * knows HTTP only, src/app/admission.ts knows AdmissionReviews only; this joins the two.
 */
import { decide, parseAdmissionReview, type AdmissionRequest } from "../app/admission.js";
import { WATCHED_KINDS } from "../core/model/kinds.js";
import { textNestingBeyond } from "../core/iam/parse.js";
import type { Inventory } from "../core/inventory/inventory.js";
import type { Config } from "../core/config.js";
import type { AdmissionHandler } from "../platform/http/webhook-server.js";

export interface AdmissionHandlerDependencies {
  config: Config;
  inventory: Inventory;
  /** True once the inventory has had its first full sync (always false with --no-kube). */
  inventoryComplete: () => boolean;
  /** Test clock for the rules that read the time (change windows). */
  now?: () => Date;
}

export function admissionHandler(deps: AdmissionHandlerDependencies): AdmissionHandler<AdmissionRequest> {
  const { config, inventory, inventoryComplete, now } = deps;
  return {
    parse: parseAdmissionReview,
    decide: (request) => decide(request, { config, inventory, inventoryComplete: inventoryComplete(), ...(now ? { now: now() } : {}) }),
    nestingBeyond: (text, limit) => textNestingBeyond(text, limit),
    watchedKinds: new Set(WATCHED_KINDS.map((k) => k.kind)),
    limits: { workSteps: config.limits.workSteps, onExceeded: config.limits.onExceeded },
  };
}
