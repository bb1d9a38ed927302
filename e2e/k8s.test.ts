// The Kubernetes manifests (k8s/): each overlay rendered by `kubectl kustomize`, validated offline
// against the Kubernetes schemas (kubernetes-models), and held to the deployment policy: probes,
// resources and a non-root, read-only securityContext on every workload; every selector matching a
// workload; DockSphere's env and config file exactly what the config loader knows, with every
// setting its role needs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import * as k8s from 'kubernetes-models';
import * as monitoring from '@kubernetes-models/prometheus-operator';
import { SECRET_VARIABLES, knownVariables, loadConfig, type DockSphereConfig } from '@docksphere/kit';
import { hasCommand } from '@docksphere/infra';
import { repoRoot } from './harness/paths.ts';

type Labels = Record<string, string>;
interface Selector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean; runAsUser?: number; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  volumes?: { name: string; secret?: { secretName: string }; configMap?: { name: string } }[];
}
interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Labels };
  spec?: any;
  data?: Record<string, string>;
}

const overlays = ['production', 'dev'] as const;
const kubectl = hasCommand('kubectl');
if (!kubectl && process.env.CI === 'true') throw new Error('kubectl is missing: infra/install-system-deps.sh installs kubernetes-client');

function render(overlay: string): Resource[] {
  const out = execFileSync('kubectl', ['kustomize', path.join(repoRoot, 'k8s', 'overlays', overlay)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(out).map((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0];
    return doc.toJS() as Resource;
  });
}

/** The kubernetes-models class for an apiVersion and kind ("networking.k8s.io/v1" -> networkingK8sIo.v1). */
function modelFor(apiVersion: string, kind: string): (new (data: unknown) => { validate(): void }) | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'monitoring.coreos.com') return (monitoring as any).monitoringCoreosCom?.[version!]?.[kind];
  const ns = group === '' ? 'v1' : group!.replace(/\.(\w)/g, (_m, c: string) => c.toUpperCase());
  const models = group === '' ? (k8s as any).v1 : (k8s as any)[ns]?.[version!];
  return models?.[kind];
}

function podSpec(r: Resource): PodSpec | undefined {
  if (r.kind === 'Deployment' || r.kind === 'StatefulSet' || r.kind === 'Job') return r.spec.template.spec as PodSpec;
  return undefined;
}
function podLabels(r: Resource): Labels {
  return (r.spec?.template?.metadata?.labels ?? {}) as Labels;
}
function matches(selector: Selector | undefined, labels: Labels): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    if (e.operator === 'In' && !(has && e.values!.includes(labels[e.key]!))) return false;
    if (e.operator === 'NotIn' && has && e.values!.includes(labels[e.key]!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}
const isEmptySelector = (s: Selector) => Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;

/** What each DockSphere role must be given to start in the distributed mode (beyond defaults). */
const required: Record<string, (c: DockSphereConfig) => unknown[]> = {
  registry: (c) => [c.database.url, c.events.natsUrl, c.registry.auth.jwksUrl, c.storage.s3.endpoint, c.storage.s3.accessKeyId, c.storage.s3.secretAccessKey, c.server.internalSecret],
  auth: (c) => [c.database.url, c.events.natsUrl, c.auth.redisUrl, c.auth.metadataUrl, c.auth.signingKeyFile, c.auth.adminPassword, c.server.internalSecret, c.secrets.keys],
  metadata: (c) => [c.database.url, c.events.natsUrl, c.registry.auth.jwksUrl, c.server.internalSecret],
  hooks: (c) => [c.database.url, c.events.natsUrl, c.hooks.redisUrl, c.registry.auth.jwksUrl, c.server.internalSecret, c.secrets.keys],
  migrate: (c) => [c.database.url],
};

const scratch = mkdtempSync(path.join(tmpdir(), 'ds-k8s-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!kubectl)('Kubernetes manifests (k8s/)', () => {
  const rendered = new Map(overlays.map((o) => [o, render(o)] as const));

  describe.each(overlays)('overlay %s', (overlay) => {
    const resources = rendered.get(overlay)!;
    const workloads = resources.filter((r) => podSpec(r) !== undefined);
    const deployments = resources.filter((r) => r.kind === 'Deployment');

    it('validates against the Kubernetes schemas, every resource in the overlay namespace', () => {
      const namespace = resources.find((r) => r.kind === 'Namespace')?.metadata.name;
      expect(namespace).toBeTruthy();
      for (const r of resources) {
        const Model = modelFor(r.apiVersion, r.kind);
        expect(Model, `${r.apiVersion} ${r.kind} is a known resource type`).toBeDefined();
        expect(() => new Model!(r).validate(), `${r.kind}/${r.metadata.name}`).not.toThrow();
        if (r.kind !== 'Namespace') expect(r.metadata.namespace, `${r.kind}/${r.metadata.name}`).toBe(namespace);
      }
    });

    it('renders the DockSphere components, their Services, the migration Job, HPAs, PDBs and policies', () => {
      const names = (kind: string) => resources.filter((r) => r.kind === kind).map((r) => r.metadata.name).sort();
      for (const c of ['registry', 'auth', 'metadata', 'hooks', 'front']) {
        expect(names('Deployment')).toContain(`docksphere-${c}`);
        expect(names('Service')).toContain(`docksphere-${c}`);
        expect(names('PodDisruptionBudget')).toContain(`docksphere-${c}`);
      }
      expect(names('Job')).toContain('docksphere-migrate');
      expect(names('HorizontalPodAutoscaler')).toEqual(['docksphere-auth', 'docksphere-registry']);
      expect(names('ServiceMonitor')).toEqual(['docksphere']);
      const deny = resources.find((r) => r.kind === 'NetworkPolicy' && r.metadata.name === 'default-deny')!;
      expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      // Secrets are referenced, never committed with values.
      expect(names('Secret')).toEqual([]);
    });

    it('gives every workload resources and a non-root, read-only, unprivileged securityContext', () => {
      expect(workloads.length).toBeGreaterThan(5);
      for (const w of workloads) {
        const pod = podSpec(w)!;
        for (const c of pod.containers) {
          const where = `${w.kind}/${w.metadata.name} container ${c.name}`;
          for (const kind of ['requests', 'limits'] as const) {
            expect(c.resources?.[kind]?.cpu, `${where} ${kind}.cpu`).toBeTruthy();
            expect(c.resources?.[kind]?.memory, `${where} ${kind}.memory`).toBeTruthy();
          }
          const runAsNonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
          const runAsUser = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
          expect(runAsNonRoot, `${where} runAsNonRoot`).toBe(true);
          expect(runAsUser, `${where} runAsUser`).toBeGreaterThan(0);
          expect(c.securityContext?.allowPrivilegeEscalation, `${where} allowPrivilegeEscalation`).toBe(false);
          expect(c.securityContext?.readOnlyRootFilesystem, `${where} readOnlyRootFilesystem`).toBe(true);
          expect(c.securityContext?.capabilities?.drop, `${where} capabilities`).toContain('ALL');
        }
      }
    });

    it('gives every long-running container startup, liveness and readiness probes on a port it declares', () => {
      for (const d of deployments) {
        for (const c of podSpec(d)!.containers) {
          for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
            expect(probe, `${d.metadata.name}/${c.name}`).toBeDefined();
            if (probe!.httpGet) {
              const port = probe!.httpGet.port;
              expect(typeof port === 'number' || (c.ports ?? []).some((p) => p.name === port), `${d.metadata.name} probe port ${port}`).toBe(true);
            } else {
              expect(probe!.exec?.command.length, `${d.metadata.name} probe`).toBeGreaterThan(0);
            }
          }
        }
      }
    });

    it('points every Service, PDB, HPA, NetworkPolicy and ServiceMonitor at workloads that exist', () => {
      const podsMatching = (s: Selector) => workloads.filter((w) => matches(s, podLabels(w)));
      for (const svc of resources.filter((r) => r.kind === 'Service')) {
        const targets = podsMatching({ matchLabels: svc.spec.selector });
        expect(targets.length, `Service ${svc.metadata.name}`).toBeGreaterThan(0);
        for (const port of svc.spec.ports as { targetPort: string | number }[]) {
          if (typeof port.targetPort !== 'string') continue;
          for (const t of targets) {
            const declared = podSpec(t)!.containers.some((c) => (c.ports ?? []).some((p) => p.name === port.targetPort));
            expect(declared, `Service ${svc.metadata.name} targetPort ${port.targetPort} on ${t.metadata.name}`).toBe(true);
          }
        }
      }
      for (const pdb of resources.filter((r) => r.kind === 'PodDisruptionBudget')) {
        expect(podsMatching(pdb.spec.selector).filter((w) => w.kind === 'Deployment').length, `PDB ${pdb.metadata.name}`).toBe(1);
      }
      for (const hpa of resources.filter((r) => r.kind === 'HorizontalPodAutoscaler')) {
        const target = hpa.spec.scaleTargetRef as { kind: string; name: string };
        expect(deployments.some((d) => d.kind === target.kind && d.metadata.name === target.name), `HPA ${hpa.metadata.name}`).toBe(true);
        // An HPA scales on CPU utilisation: the target's containers must request CPU.
        const d = deployments.find((x) => x.metadata.name === target.name)!;
        for (const c of podSpec(d)!.containers) expect(c.resources?.requests?.cpu).toBeTruthy();
      }
      for (const np of resources.filter((r) => r.kind === 'NetworkPolicy')) {
        const selectors: Selector[] = [np.spec.podSelector];
        for (const rule of [...(np.spec.ingress ?? []), ...(np.spec.egress ?? [])]) {
          for (const peer of [...(rule.from ?? []), ...(rule.to ?? [])]) if (peer.podSelector && !peer.namespaceSelector) selectors.push(peer.podSelector);
        }
        for (const s of selectors) {
          if (isEmptySelector(s)) continue;
          expect(podsMatching(s).length, `NetworkPolicy ${np.metadata.name} selector ${JSON.stringify(s)}`).toBeGreaterThan(0);
        }
      }
      const services = resources.filter((r) => r.kind === 'Service');
      for (const sm of resources.filter((r) => r.kind === 'ServiceMonitor')) {
        const scraped = services.filter((s) => matches(sm.spec.selector, s.metadata.labels ?? {}));
        expect(scraped.map((s) => s.metadata.name).sort()).toEqual(['docksphere-auth', 'docksphere-hooks', 'docksphere-metadata', 'docksphere-registry']);
        for (const e of sm.spec.endpoints as { port: string }[]) for (const s of scraped) expect((s.spec.ports as { name: string }[]).some((p) => p.name === e.port)).toBe(true);
      }
    });

    it('sets exactly the settings the config loader knows, and every one each role needs', () => {
      const known = knownVariables();
      const secretFileVariables = new Set(SECRET_VARIABLES.map((n) => `${n}_FILE`));
      const configMap = resources.find((r) => r.kind === 'ConfigMap' && r.metadata.name.startsWith('docksphere-config'))!;
      const configFile = path.join(scratch, `${overlay}-docksphere.yaml`);
      writeFileSync(configFile, configMap.data!['docksphere.yaml']!);
      const roles = workloads.flatMap((w) => podSpec(w)!.containers.filter((c) => c.args?.[0] === 'serve' || c.args?.[0] === 'migrate').map((c) => ({ w, c })));
      expect(roles.map(({ c }) => (c.args![0] === 'serve' ? c.args![1] : c.args![0])).sort()).toEqual(['auth', 'hooks', 'metadata', 'migrate', 'registry']);

      for (const { w, c } of roles) {
        const role = c.args![0] === 'serve' ? c.args![1]! : 'migrate';
        const pod = podSpec(w)!;
        const mounts = new Map((c.volumeMounts ?? []).map((m) => [m.mountPath, pod.volumes!.find((v) => v.name === m.name)!]));
        const env: Record<string, string> = {};
        for (const e of c.env ?? []) {
          expect(e.name === 'DOCKSPHERE_CONFIG' || known.has(e.name) || secretFileVariables.has(e.name), `${role}: ${e.name} is a setting DockSphere knows`).toBe(true);
          expect(e.value, `${role}: ${e.name} has a plain value (secrets come as files)`).toBeDefined();
          env[e.name] = e.value!;
        }
        // The config file is the mounted ConfigMap.
        const configMount = mounts.get(path.dirname(env.DOCKSPHERE_CONFIG!));
        expect(configMount?.configMap?.name, `${role}: DOCKSPHERE_CONFIG is in the mounted ConfigMap`).toBe(configMap.metadata.name);
        env.DOCKSPHERE_CONFIG = configFile;
        // Each *_FILE names a key of a mounted Secret; stand in a value for it.
        for (const [name, file] of Object.entries(env)) {
          if (!name.endsWith('_FILE') || name === 'TLS_CERT_FILE' || name === 'TLS_KEY_FILE') continue;
          const volume = mounts.get(path.dirname(file));
          expect(volume?.secret?.secretName, `${role}: ${name} points into a mounted Secret`).toBeTruthy();
          if (!secretFileVariables.has(name)) continue;
          const standIn = path.join(scratch, `${overlay}-${role}-${name}`);
          writeFileSync(standIn, name === 'SECRETS_KEY_FILE' ? `${Buffer.alloc(32, 7).toString('base64')}\n` : name.endsWith('URL_FILE') ? `${name.startsWith('DATABASE') ? 'postgres' : name.startsWith('REDIS') ? 'redis' : 'nats'}://u:p@host:1/x\n` : 'value\n');
          env[name] = standIn;
        }
        const config = loadConfig(env);
        required[role]!(config).forEach((value, i) => expect(value, `${role}: required setting #${i} is set`).toBeTruthy());
      }
    });
  });

  it('keeps the front template identical to nginx/nginx.conf', () => {
    expect(readFileSync(path.join(repoRoot, 'k8s/base/nginx.conf'), 'utf8')).toBe(readFileSync(path.join(repoRoot, 'nginx/nginx.conf'), 'utf8'));
  });

  it('catches a broken manifest (the validation is not a formality)', () => {
    const d = structuredClone(rendered.get('production')!.find((r) => r.kind === 'Deployment')!);
    d.spec.replicas = 'two';
    expect(() => new (modelFor(d.apiVersion, d.kind)!)(d).validate()).toThrow(/replicas must be integer/);
    expect(matches({ matchLabels: { 'app.kubernetes.io/component': 'nothing' } }, podLabels(d))).toBe(false);
  });
});
