// Proves the moto harness: a real AWS SDK client talks to moto_server on loopback.
import { CreateVpcCommand, CreateVpcEndpointCommand, DescribeVpcEndpointsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeIntegration } from "../harness/control-plane.js";
import { motoCredentials, startMoto, type Moto } from "../harness/moto.js";

describeIntegration(
  "moto_server harness",
  () => {
    let moto: Moto;
    let ec2: EC2Client;

    beforeAll(async () => {
      moto = await startMoto();
      ec2 = new EC2Client({ endpoint: moto.endpoint, region: "us-east-1", credentials: motoCredentials });
    });

    afterAll(async () => {
      ec2?.destroy();
      await moto?.stop();
    });

    it("listens on 127.0.0.1 only", () => {
      expect(new URL(moto.endpoint).hostname).toBe("127.0.0.1");
    });

    it("answers DescribeVpcEndpoints, empty at first and then with a created S3 gateway endpoint", async () => {
      const empty = await ec2.send(new DescribeVpcEndpointsCommand({}));
      expect(empty.VpcEndpoints).toEqual([]);

      const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.1.0.0/16" }));
      const created = await ec2.send(
        new CreateVpcEndpointCommand({ VpcId: vpc.Vpc?.VpcId, ServiceName: "com.amazonaws.us-east-1.s3", VpcEndpointType: "Gateway" }),
      );
      const endpointId = created.VpcEndpoint?.VpcEndpointId;
      expect(endpointId).toMatch(/^vpce-/);

      const described = await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [endpointId ?? ""] }));
      expect(described.VpcEndpoints?.map((e) => [e.ServiceName, e.VpcEndpointType])).toEqual([["com.amazonaws.us-east-1.s3", "Gateway"]]);
    });

    it("reset forgets what was created", async () => {
      const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.2.0.0/16" }));
      await ec2.send(
        new CreateVpcEndpointCommand({ VpcId: vpc.Vpc?.VpcId, ServiceName: "com.amazonaws.us-east-1.s3", VpcEndpointType: "Gateway" }),
      );
      expect((await ec2.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints?.length).toBeGreaterThan(0);
      await moto.reset();
      const after = await ec2.send(new DescribeVpcEndpointsCommand({}));
      expect(after.VpcEndpoints).toEqual([]);
    });
  },
  ["moto"],
);
