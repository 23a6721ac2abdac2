/**
 * A Hallmark cluster made of real processes, as an operator runs one: `hallmark serve
 * --no-in-process-workers` replicas and `hallmark worker`s of the built binary, each with a data
 * directory of its own (no shared filesystem), on one PostgreSQL database and one S3 bucket, with a
 * small TCP load balancer in front of the replicas.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TEST_SCRYPT_COST } from '../../src/platform/config.js';
import { BIN } from './cli.js';
import { freePort } from './ports.js';

/** Where a cluster's bytes go: an S3 bucket. */
export interface S3Target {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** What every node of one cluster shares. */
export interface ClusterSettings {
  readonly databaseUrl: string;
  readonly s3: S3Target;
  /** The address clients use (the load balancer's): tokens' realm and Location headers. */
  readonly publicUrl: string;
  /** Anything else, e.g. `HALLMARK_SMTP_URL`. */
  readonly env?: Readonly<Record<string, string>>;
}

/** One running `hallmark serve` or `hallmark worker`. */
export interface NodeProcess {
  readonly name: string;
  /** The replica's own address (serve only). */
  readonly url: string | undefined;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** SIGKILL, as a dying host: resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM, as an operator: resolves once it exited (SIGKILL after 15 s). */
  stop(): Promise<void>;
}

const running = new Set<NodeProcess>();

/** The environment of a node: the cluster's settings and nothing inherited from HALLMARK_*. */
export function clusterEnv(settings: ClusterSettings, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('HALLMARK_')) {
      env[key] = value;
    }
  }
  return {
    ...env,
    HALLMARK_DATA_DIR: dataDir,
    HALLMARK_DATABASE_URL: settings.databaseUrl,
    HALLMARK_BLOBS_DRIVER: 's3',
    HALLMARK_S3_ENDPOINT: settings.s3.endpoint,
    HALLMARK_S3_REGION: settings.s3.region,
    HALLMARK_S3_BUCKET: settings.s3.bucket,
    HALLMARK_S3_ACCESS_KEY_ID: settings.s3.accessKeyId,
    HALLMARK_S3_SECRET_ACCESS_KEY: settings.s3.secretAccessKey,
    HALLMARK_S3_FORCE_PATH_STYLE: 'true',
    HALLMARK_PUBLIC_URL: settings.publicUrl,
    HALLMARK_SCRYPT_COST: String(TEST_SCRYPT_COST),
    // Scans of a killed node leave their temporary files behind: keep them in its own directory.
    TMPDIR: join(dataDir, 'tmp'),
    ...settings.env,
  };
}

/**
 * Starts `hallmark serve --no-in-process-workers` (kind `serve`) or `hallmark worker` with its own
 * data directory under `root`, and waits until it says it runs (60 s at most).
 */
export async function startNode(
  kind: 'serve' | 'worker',
  name: string,
  root: string,
  settings: ClusterSettings,
  args: readonly string[] = [],
): Promise<NodeProcess> {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
  }
  const dataDir = join(root, name);
  await mkdir(join(dataDir, 'tmp'), { recursive: true });
  // A port of its own, known beforehand: the replica announces the public URL (the balancer's).
  const port = kind === 'serve' ? await freePort() : undefined;
  const argv =
    port !== undefined
      ? ['serve', '--port', String(port), '--host', '127.0.0.1', '--no-in-process-workers']
      : ['worker'];
  argv.push(...args);
  const child = spawn(process.execPath, [BIN, ...argv], {
    env: clusterEnv(settings, dataDir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = kind === 'serve' ? /Hallmark is listening on/ : /Hallmark worker/;
  const url = port === undefined ? undefined : `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} (${argv.join(' ')}) did not start in 60 s:\n${output}`));
    }, 60_000);
    const look = () => {
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it ran:\n${output}`));
    });
  });
  const node: NodeProcess = {
    name,
    url,
    child,
    exited,
    output: () => output,
    async kill() {
      child.kill('SIGKILL');
      await exited;
      running.delete(node);
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      running.delete(node);
    },
  };
  void exited.then(() => running.delete(node));
  running.add(node);
  return node;
}

/** SIGKILLs every node still running (a test file's `afterAll`). */
export async function killAllNodes(): Promise<void> {
  await Promise.all([...running].map((node) => node.kill()));
}

/**
 * A TCP load balancer on 127.0.0.1: each connection goes to the next backend in turn; a backend
 * that refuses the connection (its process died) is skipped, as a health-checking balancer would.
 */
export class LoadBalancer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private backends: URL[] = [];
  private next = 0;
  /** Bytes a second each connection may send to its backend; undefined for no limit. */
  uploadBytesPerSecond: number | undefined;

  private constructor(server: Server) {
    this.server = server;
  }

  /** Listens on a free port; `use` sets the backends later. */
  static async start(): Promise<LoadBalancer> {
    const server = createServer();
    const balancer = new LoadBalancer(server);
    server.on('connection', (socket) => balancer.route(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return balancer;
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The replicas connections go to, by their URLs. */
  use(urls: readonly string[]): void {
    this.backends = urls.map((u) => new URL(u));
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) {
      socket.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private route(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.pause();
    const tryBackend = (attempt: number) => {
      if (attempt >= this.backends.length) {
        client.destroy();
        return;
      }
      const target = this.backends[this.next++ % this.backends.length];
      if (target === undefined) {
        client.destroy();
        return;
      }
      const upstream = connect(Number(target.port), target.hostname);
      upstream.once('error', () => {
        if (!upstream.readyState.startsWith('open')) {
          tryBackend(attempt + 1);
        }
      });
      upstream.once('connect', () => {
        this.sockets.add(upstream);
        upstream.on('close', () => {
          this.sockets.delete(upstream);
          client.destroy();
        });
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.on('close', () => upstream.destroy());
        this.forward(client, upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryBackend(0);
  }

  /** Client to backend, no faster than `uploadBytesPerSecond` (a slow uplink, for kill tests). */
  private forward(client: Socket, upstream: Socket): void {
    const started = Date.now();
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      const rate = this.uploadBytesPerSecond;
      const full = !upstream.write(chunk);
      const ahead = rate === undefined ? 0 : (sent / rate) * 1000 - (Date.now() - started);
      if (full || ahead > 0) {
        client.pause();
        const resume = () => setTimeout(() => client.resume(), Math.max(0, ahead));
        if (full) {
          upstream.once('drain', resume);
        } else {
          resume();
        }
      }
    });
    client.on('end', () => upstream.end());
  }
}
