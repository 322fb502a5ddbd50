// `s3-vpce-guard serve` with its inventory filled from files before the ports open, as after
// a first sync (the shipped CLI has no such flag: this composes the service from the built
// library). Used by the webhook benchmarks and the fault tests that run without a cluster.
//
// Usage: node bench/webhook-serve.mjs [--dist dist] --preload-file F.json [...] -- <serve flags (with --no-kube)>
// Each file holds one object or a List of them, as JSON.
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { objectsFromFiles } from "./webhook-process.mjs";

const separator = process.argv.indexOf("--");
if (separator < 0) throw new Error("usage: node bench/webhook-serve.mjs [--dist dist] --preload-file F.json -- <serve flags>");
const { values } = parseArgs({
  args: process.argv.slice(2, separator),
  options: { dist: { type: "string", default: "dist" }, "preload-file": { type: "string", multiple: true, default: [] } },
});
const dist = resolve(import.meta.dirname, "..", values.dist);
const { parseServeArgs, startService } = await import(join(dist, "src/cli/serve.js"));
const { runService } = await import(join(dist, "src/cli/lifecycle.js"));
const { fillInventory } = await import(join(dist, "src/core/adapters/inventory-adapter.js"));

const objects = objectsFromFiles(values["preload-file"]);
const options = parseServeArgs(process.argv.slice(separator + 1));
const preload = (inventory, config) => {
  fillInventory(
    objects.map((object) => ({ object })),
    inventory,
    config,
  );
  objects.length = 0;
  inventory.complete = true;
};
process.exitCode = await runService("serve", async (logger) => {
  const service = await startService(options, { logger, preload });
  logger.info({ objects: service.inventory.size }, "preload: inventory filled from files");
  return { ports: { port: service.webhook.port, metricsPort: service.metricsServer.port }, stop: () => service.stop() };
});
