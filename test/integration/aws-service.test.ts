// The long-running commands' AWS wiring (serve and reconcile share startAwsService): with
// aws.enabled, the inventory gets AWS facts refreshed in the background; without
// credentials, AWS checks stay off and nothing else changes.
import { CreateVpcCommand, CreateVpcEndpointCommand, EC2Client } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAwsService } from "../../src/cli/aws-service.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import { createLogger } from "../../src/platform/telemetry/logging.js";
import { createMetrics } from "../../src/platform/telemetry/metrics.js";
import { describeIntegration } from "../harness/control-plane.js";
import { motoCredentials, startMoto, type Moto } from "../harness/moto.js";
import { config } from "../helpers/check.js";
import { until } from "../harness/wait.js";

describeIntegration(
  "AWS verification in the long-running service",
  () => {
    let moto: Moto;
    const savedEnv = { ...process.env };
    beforeAll(async () => {
      moto = await startMoto();
    });
    afterAll(async () => {
      process.env = savedEnv;
      await moto?.stop();
    });

    it("fills the inventory's facts from EC2 and counts the requests", async () => {
      const ec2 = new EC2Client({ endpoint: moto.endpoint, region: "us-east-1", credentials: motoCredentials });
      const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.40.0.0/16" }))).Vpc!.VpcId!;
      const endpointId = (
        await ec2.send(
          new CreateVpcEndpointCommand({ VpcId: vpcId, ServiceName: "com.amazonaws.us-east-1.s3", VpcEndpointType: "Gateway" }),
        )
      ).VpcEndpoint!.VpcEndpointId!;
      ec2.destroy();
      process.env.AWS_ACCESS_KEY_ID = motoCredentials.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = motoCredentials.secretAccessKey;
      const inventory = new Inventory();
      const metrics = createMetrics({ processMetrics: false });
      const service = await startAwsService({
        config: config({ aws: { enabled: true, cacheTtl: "5m", endpoint: moto.endpoint } }),
        inventory,
        metrics,
        logger: createLogger({ level: "silent" }),
      });
      try {
        expect(service).toBeDefined();
        await until("the endpoint to be known from AWS", () => inventory.knowsEndpointId(endpointId));
        expect(inventory.regionOfEndpointId(endpointId)).toBe("us-east-1");
        const counted = (await metrics.registry.getSingleMetric("s3_vpce_guard_aws_requests_total")!.get()).values;
        expect(counted.some((v) => v.labels.outcome === "success" && v.value > 0)).toBe(true);
      } finally {
        service?.stop();
      }
    });

    it("is off (undefined, no facts) without credentials or when not enabled", async () => {
      const inventory = new Inventory();
      const metrics = createMetrics({ processMetrics: false });
      const logger = createLogger({ level: "silent" });
      expect(await startAwsService({ config: config(), inventory, metrics, logger })).toBeUndefined();
      for (const key of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]) delete process.env[key];
      process.env.AWS_CONFIG_FILE = "/nonexistent";
      process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent";
      process.env.AWS_EC2_METADATA_DISABLED = "true";
      const off = await startAwsService({
        config: config({ aws: { enabled: true, cacheTtl: "5m", endpoint: moto.endpoint } }),
        inventory,
        metrics,
        logger,
      });
      expect(off).toBeUndefined();
      expect(inventory.facts).toBeUndefined();
    });
  },
  ["moto"],
);
