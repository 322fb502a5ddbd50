// The Helm chart: lint, rendering with defaults and with every optional feature, schema
// rejections, and the parts that must stay in sync with the code (watched kinds, config).
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { WATCHED_KINDS } from "../../src/core/model/kinds.js";
import { configSchema, defaultConfig } from "../../src/cli/config/schema.js";
import { describeIntegration, repoRoot } from "../harness/control-plane.js";
import { IMAGE_NODE_FLAGS } from "../../bench/webhook-process.mjs";
import { ALL_FEATURES, chartDir, findDoc, helm, helmTemplate, NAMESPACE, renderChart, type KubeDoc } from "./render.js";

interface Rule {
  apiGroups: string[];
  apiVersions?: string[];
  resources: string[];
  verbs?: string[];
  operations?: string[];
  scope?: string;
}
interface Webhook {
  name: string;
  rules: Rule[];
  failurePolicy: string;
  timeoutSeconds: number;
  matchPolicy: string;
  sideEffects: string;
  admissionReviewVersions: string[];
  clientConfig: { service: { name: string; namespace: string; path: string; port: number }; caBundle?: string };
  namespaceSelector: { matchExpressions: Array<{ key: string; operator: string; values: string[] }> };
  objectSelector: { matchExpressions: Array<{ key: string; operator: string; values: string[] }> };
}
interface Container {
  args: string[];
  env: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; port: string; scheme: string } };
  readinessProbe: { httpGet: { path: string; port: string; scheme: string } };
  ports: Array<{ name: string; containerPort: number }>;
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface PodSpec {
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: Array<{ name: string; emptyDir?: unknown; secret?: { secretName: string }; configMap?: { name: string } }>;
  affinity: { podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: unknown[] } };
  topologySpreadConstraints: Array<{ topologyKey: string }>;
}
interface DeploymentDoc extends KubeDoc {
  spec: { replicas: number; template: { metadata: { annotations: Record<string, string> }; spec: PodSpec } };
}

const webhookOf = (docs: KubeDoc[]): Webhook => {
  const configuration = findDoc(docs, "ValidatingWebhookConfiguration") as KubeDoc & { webhooks: Webhook[] };
  expect(configuration.webhooks).toHaveLength(1);
  return configuration.webhooks[0] as Webhook;
};
const deploymentOf = (docs: KubeDoc[]): DeploymentDoc => findDoc(docs, "Deployment") as DeploymentDoc;
const containerOf = (docs: KubeDoc[]): Container => {
  const container = deploymentOf(docs).spec.template.spec.containers[0];
  if (!container) throw new Error("the Deployment has no container");
  return container;
};
const argValue = (args: string[], flag: string): string | undefined => {
  const index = args.indexOf(flag);
  return index < 0 ? undefined : args[index + 1];
};
const kindsOf = (docs: KubeDoc[]): string[] => docs.map((d) => `${d.kind}/${d.metadata.name}`).sort();

describeIntegration(
  "Helm chart charts/s3-vpce-guard",
  () => {
    // Rendered in beforeAll, not while collecting: describe bodies run even when skipped, and
    // the unit project must pass without helm.
    let defaults: KubeDoc[] = [];
    let everything: KubeDoc[] = [];
    beforeAll(() => {
      defaults = renderChart();
      everything = renderChart(ALL_FEATURES);
    });

    it("is an apiVersion v2 chart whose appVersion is package.json's version", () => {
      const chart = parseYaml(readFileSync(path.join(chartDir, "Chart.yaml"), "utf8")) as { apiVersion: string; appVersion: string };
      const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string };
      expect(chart.apiVersion).toBe("v2");
      expect(chart.appVersion).toBe(pkg.version);
    });

    it("passes helm lint with defaults and with every optional feature on", () => {
      for (const args of [[], ALL_FEATURES]) {
        const result = helm(["lint", chartDir, "--strict", ...args]);
        expect(result.status, `helm lint ${args.join(" ")}:\n${result.stdout}${result.stderr}`).toBe(0);
      }
    });

    it("renders the base objects with defaults and no optional ones", () => {
      expect(kindsOf(defaults)).toEqual(
        [
          "ClusterRole/s3-vpce-guard",
          "ClusterRoleBinding/s3-vpce-guard",
          "ConfigMap/s3-vpce-guard-config",
          "Deployment/s3-vpce-guard",
          "NetworkPolicy/s3-vpce-guard",
          "PodDisruptionBudget/s3-vpce-guard",
          "Role/s3-vpce-guard-leader-election",
          "RoleBinding/s3-vpce-guard-leader-election",
          "Secret/s3-vpce-guard-tls",
          "Service/s3-vpce-guard",
          "ServiceAccount/s3-vpce-guard",
          "ValidatingWebhookConfiguration/s3-vpce-guard",
        ].sort(),
      );
    });

    it("renders cert-manager, ServiceMonitor, PrometheusRule, dashboard and IRSA when switched on", () => {
      const kinds = kindsOf(everything);
      expect(kinds).toEqual(
        expect.arrayContaining([
          "Certificate/s3-vpce-guard-ca",
          "Certificate/s3-vpce-guard-tls",
          "Issuer/s3-vpce-guard-selfsigned",
          "Issuer/s3-vpce-guard-ca",
          "ServiceMonitor/s3-vpce-guard",
          "PrometheusRule/s3-vpce-guard",
          "ConfigMap/s3-vpce-guard-dashboard",
        ]),
      );
      // cert-manager owns the TLS Secret then: the chart must not render its own.
      expect(kinds).not.toContain("Secret/s3-vpce-guard-tls");
      const serving = findDoc(everything, "Certificate", "s3-vpce-guard-tls") as KubeDoc & {
        spec: { secretName: string; dnsNames: string[] };
      };
      expect(serving.spec.secretName).toBe("s3-vpce-guard-tls");
      expect(serving.spec.dnsNames).toContain("s3-vpce-guard.s3-vpce-guard.svc");
      const webhookConfiguration = findDoc(everything, "ValidatingWebhookConfiguration");
      expect(webhookConfiguration.metadata.annotations?.["cert-manager.io/inject-ca-from"]).toBe("s3-vpce-guard/s3-vpce-guard-tls");
      expect(webhookOf(everything).clientConfig.caBundle).toBeUndefined();
      expect(findDoc(everything, "ServiceAccount").metadata.annotations).toEqual({
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/s3-vpce-guard",
      });
      const dashboard = findDoc(everything, "ConfigMap", "s3-vpce-guard-dashboard") as KubeDoc & { data: Record<string, string> };
      expect(dashboard.metadata.labels?.grafana_dashboard).toBe("1");
      expect(JSON.parse(dashboard.data["s3-vpce-guard.json"] ?? "")).toEqual(
        JSON.parse(readFileSync(path.join(chartDir, "dashboards/s3-vpce-guard.json"), "utf8")),
      );
      const monitor = findDoc(everything, "ServiceMonitor") as KubeDoc & { spec: { endpoints: Array<{ port: string; path: string }> } };
      expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: "metrics", path: "/metrics" })]);
    });

    it("generates a CA and a serving certificate for the Service when cert-manager is off", () => {
      const secret = findDoc(defaults, "Secret", "s3-vpce-guard-tls") as KubeDoc & { type: string; data: Record<string, string> };
      expect(secret.type).toBe("kubernetes.io/tls");
      const pem = (key: string) => Buffer.from(secret.data[key] ?? "", "base64").toString("utf8");
      expect(pem("ca.crt")).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(pem("tls.crt")).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(pem("tls.key")).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
      // The caBundle the API server trusts is the CA that signed the Secret's certificate.
      expect(webhookOf(defaults).clientConfig.caBundle).toBe(secret.data["ca.crt"]);
      const certificate = new X509Certificate(pem("tls.crt"));
      expect(certificate.subjectAltName).toContain("DNS:s3-vpce-guard.s3-vpce-guard.svc");
      expect(certificate.checkIssued(new X509Certificate(pem("ca.crt")))).toBe(true);
    });

    it("renders a deterministic empty placeholder certificate on request", () => {
      const first = helmTemplate(["--set", "certificates.generated.placeholder=true"]);
      const second = helmTemplate(["--set", "certificates.generated.placeholder=true"]);
      expect(first.status).toBe(0);
      expect(first.stdout).toBe(second.stdout);
      const docs = renderChart(["--set", "certificates.generated.placeholder=true"]);
      expect((findDoc(docs, "Secret") as KubeDoc & { data: Record<string, string> }).data).toEqual({
        "ca.crt": "",
        "tls.crt": "",
        "tls.key": "",
      });
      expect(webhookOf(docs).clientConfig.caBundle).toBeUndefined();
    });

    it("admits every kind of WATCHED_KINDS, and only those, for CREATE, UPDATE and DELETE", () => {
      const webhook = webhookOf(defaults);
      const rendered = webhook.rules.flatMap((rule) =>
        rule.apiGroups.flatMap((group) =>
          (rule.apiVersions ?? []).flatMap((version) => rule.resources.map((resource) => `${group}/${version}/${resource} ${rule.scope}`)),
        ),
      );
      const expected = WATCHED_KINDS.map((k) => `${k.group}/${k.version}/${k.plural} ${k.namespaced ? "Namespaced" : "Cluster"}`);
      expect(rendered.sort()).toEqual([...expected].sort());
      for (const rule of webhook.rules) expect(rule.operations).toEqual(["CREATE", "UPDATE", "DELETE"]);
      expect(webhook.matchPolicy).toBe("Equivalent");
      expect(webhook.sideEffects).toBe("None");
      expect(webhook.admissionReviewVersions).toEqual(["v1"]);
      expect(webhook.clientConfig.service).toEqual({ name: "s3-vpce-guard", namespace: NAMESPACE, path: "/validate", port: 443 });
    });

    it("opens the webhook port to every source and the metrics port to metricsFrom only (NetworkPolicy, on by default)", () => {
      type Policy = KubeDoc & {
        spec: {
          podSelector: { matchLabels: Record<string, string> };
          policyTypes: string[];
          ingress: { from?: unknown[]; ports: { port: number }[] }[];
        };
      };
      const policy = findDoc(defaults, "NetworkPolicy") as Policy;
      expect(policy.spec.podSelector.matchLabels).toEqual(
        (deploymentOf(defaults).spec as unknown as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels,
      );
      expect(policy.spec.policyTypes).toEqual(["Ingress"]);
      expect(policy.spec.ingress).toEqual([
        { ports: [{ port: 8443, protocol: "TCP" }] },
        { from: [{ namespaceSelector: {} }], ports: [{ port: 9090, protocol: "TCP" }] },
      ]);
      const monitoringOnly = renderChart([
        "--set-json",
        'networkPolicy.metricsFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"monitoring"}}}]',
      ]);
      expect((findDoc(monitoringOnly, "NetworkPolicy") as Policy).spec.ingress[1]?.from).toEqual([
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
      ]);
      // No metricsFrom: the metrics port is closed, the webhook port stays open.
      const closed = renderChart(["--set-json", "networkPolicy.metricsFrom=[]"]);
      expect((findDoc(closed, "NetworkPolicy") as Policy).spec.ingress).toEqual([{ ports: [{ port: 8443, protocol: "TCP" }] }]);
      expect(kindsOf(renderChart(["--set", "networkPolicy.enabled=false"]))).not.toContain("NetworkPolicy/s3-vpce-guard");
    });

    it("fails open in 5 s by default, and takes failurePolicy and timeoutSeconds from values", () => {
      expect(webhookOf(defaults)).toMatchObject({ failurePolicy: "Ignore", timeoutSeconds: 5 });
      const strict = renderChart(["--set", "webhook.failurePolicy=Fail", "--set", "webhook.timeoutSeconds=10"]);
      expect(webhookOf(strict)).toMatchObject({ failurePolicy: "Fail", timeoutSeconds: 10 });
    });

    it("skips kube-system, the release namespace and objects labelled s3-vpce-guard.io/ignore=true", () => {
      const webhook = webhookOf(renderChart(["--namespace", "guard-system"]));
      expect(webhook.namespaceSelector.matchExpressions).toEqual([
        { key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "guard-system"] },
      ]);
      expect(webhook.objectSelector.matchExpressions).toEqual([{ key: "s3-vpce-guard.io/ignore", operator: "NotIn", values: ["true"] }]);
    });

    it("grants exactly the read, report, event and lease rights the code needs", () => {
      const clusterRole = findDoc(defaults, "ClusterRole") as KubeDoc & { rules: Rule[] };
      const grants = clusterRole.rules.flatMap((rule) =>
        rule.apiGroups.flatMap((group) =>
          rule.resources.map((resource) => `${group}/${resource}: ${[...(rule.verbs ?? [])].sort().join(",")}`),
        ),
      );
      // What the code calls, and test/integration/rbac.test.ts proves enough: informers list and
      // watch (kinds installed later come from API discovery, no CRD access); reports are listed,
      // server-side applied (patch, create when new) and deleted.
      const read = "list,watch";
      const expected = [
        ...new Set(WATCHED_KINDS.map((k) => `${k.group}/${k.plural}: ${read}`)),
        `/namespaces: ${read}`,
        "wgpolicyk8s.io/policyreports: create,delete,list,patch",
        "wgpolicyk8s.io/clusterpolicyreports: create,delete,list,patch",
        // One Event per object per change; a new leader lists earlier ones (src/platform/kube/events.ts).
        "/events: create,list",
      ];
      expect(grants.sort()).toEqual(expected.sort());
      const role = findDoc(defaults, "Role") as KubeDoc & { rules: Rule[] };
      expect(role.metadata.namespace).toBe(NAMESPACE);
      expect(role.rules).toEqual([{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] }]);
      const subjects = (doc: KubeDoc) => (doc as KubeDoc & { subjects: unknown[] }).subjects;
      const serviceAccount = { kind: "ServiceAccount", name: "s3-vpce-guard", namespace: NAMESPACE };
      expect(subjects(findDoc(defaults, "ClusterRoleBinding"))).toEqual([serviceAccount]);
      expect(subjects(findDoc(defaults, "RoleBinding"))).toEqual([serviceAccount]);
    });

    it("caps the V8 heap below the memory limit (3/8 of it unless heapLimitMiB says otherwise) and sets the image's semi-space size unless semiSpaceMiB says otherwise", () => {
      const nodeOptions = (docs: KubeDoc[]) => containerOf(docs).env?.find((e) => e.name === "NODE_OPTIONS")?.value;
      // The chart's NODE_OPTIONS replaces the image's: its default keeps the image's flag.
      expect(nodeOptions(defaults)).toBe(`${IMAGE_NODE_FLAGS} --max-old-space-size=192`);
      expect(nodeOptions(renderChart(["--set", "resources.limits.memory=1Gi"]))).toBe("--max-semi-space-size=8 --max-old-space-size=384");
      expect(nodeOptions(renderChart(["--set", "heapLimitMiB=300"]))).toBe("--max-semi-space-size=8 --max-old-space-size=300");
      expect(nodeOptions(renderChart(["--set", "semiSpaceMiB=32"]))).toBe("--max-semi-space-size=32 --max-old-space-size=192");
      expect(nodeOptions(renderChart(["--set", "resources.limits.memory=null"]))).toBe("--max-semi-space-size=8");
      expect(nodeOptions(renderChart(["--set", "resources.limits.memory=null", "--set", "semiSpaceMiB=null"]))).toBeUndefined();
      expect(helmTemplate(["--set", "heapLimitMiB=8"]).status).not.toBe(0);
      expect(helmTemplate(["--set", "semiSpaceMiB=0"]).status).not.toBe(0);
      expect(helmTemplate(["--set", "semiSpaceMiB=512"]).status).not.toBe(0);
    });

    it("runs two hardened replicas of `serve` with probes, a writable /tmp and spread over nodes", () => {
      const deployment = deploymentOf(defaults);
      expect(deployment.spec.replicas).toBe(2);
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } });
      const container = containerOf(defaults);
      expect(container.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        runAsUser: 65532,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(container.resources.requests).toBeDefined();
      expect(container.resources.limits?.memory).toBeDefined();
      expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "https", scheme: "HTTPS" });
      expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "https", scheme: "HTTPS" });
      expect(container.ports).toEqual([
        { name: "https", containerPort: 8443, protocol: "TCP" },
        { name: "metrics", containerPort: 9090, protocol: "TCP" },
      ]);
      expect(container.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
      expect(pod.volumes.find((v) => v.name === "tmp")?.emptyDir).toBeDefined();
      expect(pod.volumes.find((v) => v.name === "tls")?.secret?.secretName).toBe("s3-vpce-guard-tls");
      expect(pod.affinity.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
      expect(pod.topologySpreadConstraints.map((c) => c.topologyKey)).toEqual(["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
      expect(findDoc(defaults, "PodDisruptionBudget")).toMatchObject({ spec: { minAvailable: 1 } });
    });

    it("starts serve with the mounted certificate, config, ports and the release's Lease", () => {
      const { args, env } = containerOf(defaults);
      expect(args[0]).toBe("serve");
      expect(argValue(args, "--tls-cert")).toBe("/tls/tls.crt");
      expect(argValue(args, "--tls-key")).toBe("/tls/tls.key");
      expect(argValue(args, "--port")).toBe("8443");
      expect(argValue(args, "--metrics-port")).toBe("9090");
      expect(argValue(args, "--config")).toBe("/config/config.yaml");
      expect(argValue(args, "--lease-name")).toBe("s3-vpce-guard");
      expect(argValue(args, "--lease-namespace")).toBe(NAMESPACE);
      expect(env).toContainEqual({ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
      const service = findDoc(defaults, "Service") as KubeDoc & {
        spec: { ports: Array<{ name: string; port: number; targetPort: string }> };
      };
      expect(service.spec.ports).toEqual([
        { name: "https", port: 443, targetPort: "https", protocol: "TCP" },
        { name: "metrics", port: 9090, targetPort: "metrics", protocol: "TCP" },
      ]);
    });

    it("writes `config` into the ConfigMap, valid for the product, and restarts pods when it changes", () => {
      const configOf = (docs: KubeDoc[]): unknown =>
        parseYaml(
          (findDoc(docs, "ConfigMap", "s3-vpce-guard-config") as KubeDoc & { data: Record<string, string> }).data["config.yaml"] ?? "",
        );
      // The chart's default config is the product's default config, nothing more.
      expect(configSchema.parse(configOf(defaults))).toEqual(defaultConfig());
      const custom = configSchema.parse(configOf(everything));
      expect(custom.rules).toEqual({ "ipv4-only": { action: "off" }, "endpoint-full-access": { action: "deny" } });
      expect(custom.awsFeatureLevel).toBe("current");
      expect(custom.audit.interval).toBe("2m");
      const checksum = (docs: KubeDoc[]) => deploymentOf(docs).spec.template.metadata.annotations["checksum/config"];
      expect(checksum(defaults)).toMatch(/^[0-9a-f]{64}$/);
      expect(checksum(everything)).not.toBe(checksum(defaults));
    });

    it("derives the audit-stale threshold from config.audit.interval", () => {
      const rule = (docs: KubeDoc[]) =>
        (
          findDoc(docs, "PrometheusRule") as KubeDoc & { spec: { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> } }
        ).spec.groups
          .flatMap((g) => g.rules)
          .find((r) => r.alert === "S3VpceGuardAuditStale")?.expr;
      expect(rule(everything)).toMatch(/> 3 \* 120$/);
      expect(rule(renderChart(["--set", "metrics.prometheusRule.enabled=true", "--set", "config.audit.interval=1h"]))).toMatch(
        /> 3 \* 3600$/,
      );
    });

    const badValues: Array<[string, string[], RegExp]> = [
      ["failurePolicy: Maybe", ["--set", "webhook.failurePolicy=Maybe"], /failurePolicy/],
      ['replicaCount: "two"', ["--set-string", "replicaCount=two"], /replicaCount/],
      ["an unknown top-level key", ["--set", "replicas=2"], /replicas/],
      ["a rule action that does not exist", ["--set", "config.rules.ipv4-only.action=block"], /action/],
      ["a rule id that does not exist", ["--set", "config.rules.no-such-rule.action=off"], /no-such-rule/],
      ["awsFeatureLevel: latest", ["--set", "config.awsFeatureLevel=latest"], /awsFeatureLevel/],
      ["timeoutSeconds: 31", ["--set", "webhook.timeoutSeconds=31"], /timeoutSeconds/],
      ["an unknown config key", ["--set", "config.rulez.x=1"], /rulez/],
    ];
    for (const [what, args, message] of badValues) {
      it(`rejects ${what} in helm template and helm lint`, () => {
        const template = helmTemplate(args);
        expect(template.status, template.stdout.slice(0, 200)).not.toBe(0);
        expect(template.stderr).toMatch(message);
        const lint = helm(["lint", chartDir, ...args]);
        expect(lint.status).not.toBe(0);
      });
    }
  },
  ["helm"],
);
