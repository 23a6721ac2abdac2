/**
 * The `Builder` on buildah (Debian's 1.28): a private vfs storage per build, chroot isolation
 * without CAP_SYS_CHROOT (with it, a RUN step running as root can chroot its way out to the
 * host's filesystem), an environment made from nothing, registry credentials in a per-build auth
 * file, the size checked before the push, and the last stage's base resolved to the digest its
 * tag had when the build pulled it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { internal, unprocessable, badGateway } from '../../platform/errors.js';
import { checkSize, inspectBuilt, resolveBase } from './buildah-image.js';
import { readBuildInputs } from './build-inputs.js';
import type { BuildRequest, BuildResult, Builder, StepOptions } from './contracts.js';
import { runTool, TOOL_PATH } from './run-tool.js';
import type { ToolResult } from './run-tool.js';

/** Options of the buildah builder. */
export interface BuildahOptions {
  /** The buildah binary (default `buildah` on the fixed tool PATH). */
  readonly binary?: string;
  /** Registries base images may come from over plain HTTP (`builds.insecureRegistries`). */
  readonly insecureRegistries?: readonly string[];
}

/** The name the built image has in the build's own storage. */
const LOCAL_IMAGE = 'localhost/hallmark-build:latest';
/** Capabilities RUN steps do without: chroot (the escape) and signalling (host processes). */
const DROPPED_CAPABILITIES = ['CAP_SYS_CHROOT', 'CAP_KILL'];
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Builds with buildah and pushes the result. */
export class BuildahBuilder implements Builder {
  readonly #binary: string;
  readonly #insecure: readonly string[];

  constructor(options: BuildahOptions = {}) {
    this.#binary = options.binary ?? 'buildah';
    this.#insecure = options.insecureRegistries ?? [];
  }

  /** Undefined when buildah runs here; otherwise why not. */
  async available(): Promise<string | undefined> {
    try {
      const result = await runTool({
        command: this.#binary,
        args: ['version'],
        env: { PATH: TOOL_PATH, HOME: '/nonexistent' },
        signal: AbortSignal.timeout(15_000),
        captureStdout: true,
      });
      return result.exitCode === 0 ? undefined : `buildah does not run: ${result.tail.join(' ')}`;
    } catch (err) {
      return err instanceof Error && 'code' in err && err.code === 'build.tool_missing'
        ? 'buildah is not installed (Debian and Ubuntu package "buildah").'
        : `buildah does not run: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  /**
   * Builds the image, checks its size and pushes it.
   * @throws AppError `build.dockerfile_*` (see `readBuildInputs`), `build.build_failed` (422, with
   *   the log's tail), `build.image_too_large` (413), `build.push_failed` (502),
   *   `build.aborted` when the signal fires
   */
  async build(request: BuildRequest, options: StepOptions): Promise<BuildResult> {
    const inputs = await readBuildInputs(
      request.sourceDir,
      request.dockerfile,
      request.contextDir,
      request.buildArgs,
    );
    const session = await prepare(request, this.#insecure);
    const buildah = (args: string[], capture = false) =>
      runTool({
        command: this.#binary,
        args: [...session.storage, ...args],
        env: session.env,
        signal: options.signal,
        log: options.log,
        secrets: session.secrets,
        ...(capture ? { captureStdout: true } : {}),
      });
    const built = await buildah([
      'build',
      '--isolation',
      'chroot',
      ...DROPPED_CAPABILITIES.flatMap((c) => ['--cap-drop', c]),
      '--pull=true',
      '--layers=false',
      '--format',
      'oci',
      '--authfile',
      session.authFile,
      '-f',
      inputs.dockerfile,
      ...Object.entries(request.buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
      '-t',
      LOCAL_IMAGE,
      '--',
      inputs.contextDir,
    ]);
    if (built.exitCode !== 0) {
      throw unprocessable('build.build_failed', `The image failed to build: ${lastError(built)}`, {
        tail: built.tail,
      });
    }
    const image = await inspectBuilt(buildah, LOCAL_IMAGE);
    const base = resolveBase(image, inputs.base);
    await checkSize(
      buildah,
      LOCAL_IMAGE,
      image,
      request.maxImageBytes,
      request.workDir,
      session.authFile,
    );
    options.log(`Pushing ${request.push.reference}\n`);
    const digestFile = join(request.workDir, 'digest');
    const pushed = await buildah([
      'push',
      '--authfile',
      session.authFile,
      `--tls-verify=${String(request.push.tlsVerify)}`,
      '--digestfile',
      digestFile,
      '--retry',
      '2',
      LOCAL_IMAGE,
      `docker://${request.push.reference}`,
    ]);
    if (pushed.exitCode !== 0) {
      throw badGateway('build.push_failed', `The push failed: ${lastError(pushed)}`, {
        tail: pushed.tail,
      });
    }
    const digest = (await readFile(digestFile, 'utf8')).trim();
    if (!DIGEST.test(digest)) {
      throw internal('build.push_failed', `buildah reported the digest "${digest}".`);
    }
    options.log(`Pushed ${request.push.reference}@${digest}\n`);
    return { digest, base };
  }
}

/** Storage flags, environment and credential files of one build. */
interface Session {
  readonly storage: string[];
  readonly env: Record<string, string>;
  readonly authFile: string;
  readonly secrets: string[];
}

/**
 * Lays out the build's directory: storage, HOME, TMPDIR, the auth file for the push registry
 * and a registries.conf drop-in marking insecure only the push registry when it is plain HTTP
 * and the operator's `insecure` ones (so a base pulled from elsewhere keeps TLS verification).
 */
async function prepare(request: BuildRequest, insecure: readonly string[]): Promise<Session> {
  const dir = request.workDir;
  const home = join(dir, 'home');
  const tmp = join(dir, 'tmp');
  for (const d of [dir, home, tmp]) {
    await mkdir(d, { recursive: true, mode: 0o700 });
  }
  const { reference, username, password, tlsVerify } = request.push;
  const registry = reference.split('/')[0] ?? '';
  if (!reference.includes('/') || !/^[A-Za-z0-9.-]+(:\d+)?$/.test(registry)) {
    throw internal('build.push_reference', `The push reference ${reference} names no registry.`);
  }
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  const authFile = join(dir, 'auth.json');
  await writeFile(authFile, JSON.stringify({ auths: { [registry]: { auth } } }), { mode: 0o600 });
  const plain = new Set([...(tlsVerify ? [] : [registry]), ...insecure]);
  if (plain.size > 0) {
    const dropIns = join(home, '.config', 'containers', 'registries.conf.d');
    await mkdir(dropIns, { recursive: true, mode: 0o700 });
    await writeFile(
      join(dropIns, '99-hallmark-push.conf'),
      [...plain].map((r) => `[[registry]]\nlocation = "${r}"\ninsecure = true\n`).join('\n'),
    );
  }
  return {
    storage: [
      '--root',
      join(dir, 'root'),
      '--runroot',
      join(dir, 'run'),
      '--storage-driver',
      'vfs',
    ],
    env: {
      PATH: TOOL_PATH,
      HOME: home,
      TMPDIR: tmp,
      LC_ALL: 'C',
      REGISTRY_AUTH_FILE: authFile,
    },
    authFile,
    secrets: [password, auth],
  };
}

/** The line of a failed tool's output that says what went wrong. */
function lastError(result: ToolResult): string {
  const lines = result.tail.filter((l) => l.trim() !== '');
  return (
    [...lines].reverse().find((l) => /^(Error|error|fatal)\b/.test(l)) ??
    lines.at(-1) ??
    'no output'
  );
}
