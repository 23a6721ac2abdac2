/**
 * The deployment examples in deploy/ (compose file, Kubernetes manifests) and the Containerfile:
 * each YAML file parses, names only real settings (every `HALLMARK_*` variable is one of
 * config.ts's SETTINGS), and the settings each container gets make a valid configuration.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CONFIG_FILE_SOURCE, loadConfig, SETTINGS } from '../../src/platform/config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
const KUBERNETES = join(DEPLOY, 'kubernetes');
const KNOWN = new Set([...SETTINGS.map((s) => s.env), CONFIG_FILE_SOURCE.env]);

type Tree = Record<string, unknown>;

/** Every `HALLMARK_*` name a text mentions. */
function variables(text: string): string[] {
  return [...new Set(text.match(/\bHALLMARK_[A-Z0-9_]+\b/g) ?? [])].sort();
}

/** A compose value with its `${VAR:-default}` / `${VAR:?error}` / `$$` interpolations done. */
function interpolate(value: string): string {
  return value
    .replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1')
    .replace(/\$\{[A-Z0-9_]+:\?[^}]*\}/g, 'set-by-the-operator')
    .replace(/\$\{[A-Z0-9_]+\}/g, '')
    .replace(/\$\$/g, '$');
}

/** The container's environment as strings. */
function environment(service: Tree): Record<string, string> {
  const env = (service.environment ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v))]));
}

function kubernetesDocuments(): Tree[] {
  return readdirSync(KUBERNETES)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(KUBERNETES, f), 'utf8')).map((doc) => {
        expect(doc.errors, f).toEqual([]);
        return doc.toJSON() as Tree;
      }),
    );
}

/** The pod spec of a Deployment, Job or CronJob. */
function podSpec(doc: Tree): Tree {
  const spec = doc.spec as Tree;
  const template =
    doc.kind === 'CronJob'
      ? ((spec.jobTemplate as Tree).spec as Tree).template
      : (spec.template as Tree);
  return (template as Tree).spec as Tree;
}

describe('deploy/', () => {
  it('should name only real settings in every file', () => {
    const files = [
      join(ROOT, 'Containerfile'),
      join(DEPLOY, 'compose.yaml'),
      ...readdirSync(KUBERNETES).map((f) => join(KUBERNETES, f)),
    ];
    for (const file of files) {
      const unknown = variables(readFileSync(file, 'utf8')).filter((v) => !KNOWN.has(v));
      expect(unknown, file).toEqual([]);
    }
  });

  it('should give every Hallmark service of the compose file a valid configuration', () => {
    const compose = parse(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8'), {
      merge: true,
    }) as { services: Record<string, Tree> };
    const hallmark = Object.entries(compose.services).filter(([, s]) =>
      String(s.image).includes('hallmark'),
    );
    const commands = Object.fromEntries(hallmark.map(([name, s]) => [name, s.command]));
    expect(commands).toMatchObject({
      migrate: ['migrate'],
      'api-1': ['serve'],
      'api-2': ['serve'],
      'worker-1': ['worker'],
      'worker-2': ['worker'],
    });
    for (const [name, service] of hallmark) {
      const config = loadConfig({ env: environment(service), cwd: '/' });
      expect(config.database.dialect, name).toBe('postgres');
      expect(config.blobs.driver, name).toBe('s3');
      expect(config.workers.inProcess, name).toBe(!name.startsWith('api-'));
    }
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'minio']));
  });

  it('should give every Kubernetes workload the ConfigMap and Secret, and a valid configuration', () => {
    const docs = kubernetesDocuments();
    const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
    const [configMap] = byKind('ConfigMap');
    const [secret] = byKind('Secret');
    const shared = {
      ...(configMap?.data as Record<string, string>),
      ...(secret?.stringData as Record<string, string>),
    };
    const workloads = [...byKind('Deployment'), ...byKind('Job'), ...byKind('CronJob')];
    const args = Object.fromEntries(
      workloads.map((w) => [
        (w.metadata as Tree).name,
        ((podSpec(w).containers as Tree[])[0] as Tree).args,
      ]),
    );
    expect(args).toMatchObject({
      'hallmark-api': ['serve'],
      'hallmark-worker': ['worker'],
      'hallmark-migrate': ['migrate'],
    });
    for (const workload of workloads) {
      for (const container of podSpec(workload).containers as Tree[]) {
        expect(container.envFrom).toEqual([
          { configMapRef: { name: (configMap?.metadata as Tree).name } },
          { secretRef: { name: (secret?.metadata as Tree).name } },
        ]);
        const own = (container.env ?? []) as { name: string; value: string }[];
        const env = { ...shared, ...Object.fromEntries(own.map((e) => [e.name, e.value])) };
        const config = loadConfig({ env, cwd: '/' });
        expect(config.blobs.driver).toBe('s3');
        expect(config.database.dialect).toBe('postgres');
      }
    }
    const [api] = byKind('Deployment').filter((d) => (d.metadata as Tree).name === 'hallmark-api');
    const container = (podSpec(api ?? {}).containers as Tree[])[0] ?? {};
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(container[probe], probe).toMatchObject({
        httpGet: { path: '/healthz', port: 'http' },
      });
    }
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect(container.env).toEqual([{ name: 'HALLMARK_WORKERS_IN_PROCESS', value: 'false' }]);
    const [service] = byKind('Service');
    expect((service?.spec as Tree).selector).toEqual(
      ((api?.spec as Tree).selector as Tree).matchLabels,
    );
    const kustomization = parse(readFileSync(join(KUBERNETES, 'kustomization.yaml'), 'utf8')) as {
      resources: string[];
    };
    expect(kustomization.resources.sort()).toEqual(
      readdirSync(KUBERNETES)
        .filter((f) => f !== 'kustomization.yaml')
        .sort(),
    );
  });
});
