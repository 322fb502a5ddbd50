// deploy/ is generated from the chart by scripts/render-deploy.sh: CI fails when someone
// changes the chart and forgets to regenerate it.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, expect, it } from "vitest";
import { describeIntegration, helmBinary, repoRoot } from "../harness/control-plane.js";
import { suiteTempDirs } from "../helpers/temp-dir.js";
import { deployDir, findDoc, parseManifests, renderChart } from "./render.js";

const GENERATED = ["grafana-dashboard.json", "prometheus-rules.yaml", "s3-vpce-guard.yaml"];

describeIntegration(
  "deploy/ matches the chart",
  () => {
    // Rendered in beforeAll: a skipped describe's body still runs while collecting.
    const tempDir = suiteTempDirs();
    let outDir: string;
    let run: SpawnSyncReturns<string>;
    beforeAll(() => {
      outDir = tempDir("s3vg-render-deploy-");
      run = spawnSync("bash", [path.join(repoRoot, "scripts/render-deploy.sh"), outDir], {
        encoding: "utf8",
        env: { ...process.env, HELM: helmBinary() },
      });
    });

    it("scripts/render-deploy.sh renders into a fresh directory", () => {
      expect(run.status, run.stderr).toBe(0);
      expect(readdirSync(outDir).sort()).toEqual(GENERATED);
    });

    for (const file of GENERATED) {
      it(`deploy/${file} is what scripts/render-deploy.sh makes today`, () => {
        const committed = readFileSync(path.join(deployDir, file), "utf8");
        const fresh = readFileSync(path.join(outDir, file), "utf8");
        expect(committed === fresh, `deploy/${file} is out of date: run scripts/render-deploy.sh`).toBe(true);
      });
    }

    it("deploy/s3-vpce-guard.yaml is the default rendering plus its Namespace, with a placeholder certificate", () => {
      const deployed = parseManifests(readFileSync(path.join(deployDir, "s3-vpce-guard.yaml"), "utf8"));
      expect(deployed[0]).toMatchObject({ kind: "Namespace", metadata: { name: "s3-vpce-guard" } });
      const strip = (docs: typeof deployed) =>
        docs.filter((d) => d.kind !== "Secret" && d.kind !== "ValidatingWebhookConfiguration" && d.kind !== "Namespace");
      expect(strip(deployed)).toEqual(strip(renderChart()));
      expect(findDoc(deployed, "Secret").metadata.annotations?.["s3-vpce-guard.io/certificate-source"]).toBe("placeholder");
    });
  },
  ["helm"],
);
