/**
 * What end-to-end build tests share: a Dockerfile whose image passes the certification policy, a
 * base image pushed to a registry with skopeo, and waiting for a build through the API.
 *
 * @example
 *   await pushLayout(`oci:${layout}:9.4`, `${host}/${ns}/ubi:9.4`, `unused:${registryKey}`);
 *   const repo = await makeRepo(dir, 'cinder.git', certifiedSource(`${host}/${ns}/ubi:9.4`));
 *   const done = await waitForBuild(partner.member, buildId); // { status: 'passed', … }
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CERTIFIED_CONFIG } from './image-builder.js';
import type { ApiClient } from './api.js';

const run = promisify(execFile);

/** States after which a build changes no more. */
export const FINAL_BUILD_STATES = ['passed', 'failed', 'error', 'cancelled', 'timed_out'];

/**
 * The files of a git repository whose Dockerfile (`Dockerfile` at its root, or `dockerfile`)
 * builds FROM `base` an image that passes the policy: the labels, a license, a non-root user.
 */
export function certifiedSource(base: string, dockerfile = 'Dockerfile'): Record<string, string> {
  const labels = Object.entries(CERTIFIED_CONFIG.Labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(' \\\n      ');
  return {
    [dockerfile]: [
      `FROM ${base}`,
      `LABEL ${labels}`,
      'COPY LICENSE /licenses/LICENSE',
      'USER 1001',
      '',
    ].join('\n'),
    LICENSE: 'Apache License 2.0\n',
  };
}

/**
 * Copies an image (`oci:DIR:TAG`) to `docker://<destination>` over plain HTTP with skopeo,
 * with `creds` (`user:password`) when given.
 */
export async function pushLayout(
  source: string,
  destination: string,
  creds?: string,
): Promise<void> {
  await run(
    'skopeo',
    [
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      ...(creds === undefined ? [] : ['--dest-creds', creds]),
      source,
      `docker://${destination}`,
    ],
    { timeout: 120_000, maxBuffer: 1 << 24 },
  );
}

/** Polls `GET /builds/:id` until the build ends; its last view. */
export async function waitForBuild(
  client: ApiClient,
  id: string,
  timeoutMs = 240_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    const res = await client.get(`/builds/${id}`);
    last = res.body as Record<string, unknown>;
    if (FINAL_BUILD_STATES.includes(String(last.status))) {
      return last;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`build ${id} did not end within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}
