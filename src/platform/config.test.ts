import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import { loadConfig, SETTINGS, testConfig, unknownEnvironment } from './config.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hallmark-config-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeJson(name: string, value: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(value));
  return file;
}

function configError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('should use the documented defaults with no sources', () => {
    const config = loadConfig({ cwd: dir });
    expect(config).toEqual({
      dataDir: path.join(dir, 'data'),
      server: {
        port: 8080,
        host: '0.0.0.0',
        publicUrl: undefined,
        trustProxy: false,
        idleTimeoutSeconds: 60,
        headersTimeoutSeconds: 30,
        keepAliveTimeoutSeconds: 65,
        processes: 1,
      },
      database: { dialect: 'sqlite', file: path.join(dir, 'data', 'hallmark.db') },
      blobs: { driver: 'fs', dir: path.join(dir, 'data', 'blobs'), s3: undefined },
      workers: { concurrency: 2, inProcess: true, leaseSeconds: 20 },
      registry: {
        maxManifestBytes: 4 * 1024 * 1024,
        gcGraceMinutes: 60,
        uploadExpiryMinutes: 1440,
        maxOpenUploads: 100,
      },
      scan: {
        policy: 'connect-2018',
        vulndb: { store: 'sqlite', file: path.join(dir, 'data', 'vulndb.sqlite') },
        vulndbMaxAgeDays: 7,
        timeoutSeconds: 900,
        memoryLimitMb: 1024,
        layerCacheMb: 2048,
      },
      accounts: {
        passwordMinLength: 6,
        linkValidityHours: 48,
        unconfirmedDisableDays: 30,
        sessionHours: 12,
        adminPassword: undefined,
        scryptCost: 17,
        authFailuresPerAddress: 30,
        authFailureWindowMinutes: 15,
        passwordChecksAtOnce: 2,
        passwordChecksQueued: 32,
      },
      mail: {
        smtpUrl: undefined,
        from: 'Hallmark <no-reply@hallmark.invalid>',
        outboxRetentionHours: 24,
        limitPerAddress: 3,
        limitPerSource: 20,
        limitWindowMinutes: 60,
        dir: path.join(dir, 'data', 'mail'),
      },
      log: { level: 'info' },
      // Its settings by name: the rebuild triggers add their own beside them.
      builds: expect.objectContaining({
        allowLocalGit: false,
        allowPrivateAddresses: false,
        timeoutMinutes: 60,
        concurrency: 1,
        perCompanyConcurrency: 2,
        upstreamPollMinutes: 60,
        maxLogBytes: 4 * 1024 * 1024,
        maxImageBytes: 10 * 1024 * 1024 * 1024,
        secretKey: undefined,
      }),
    });
  });

  it('should take the builds settings from HALLMARK_BUILDS_* and refuse bad ones', () => {
    const config = loadConfig({
      env: {
        HALLMARK_BUILDS_ALLOW_LOCAL_GIT: 'true',
        HALLMARK_BUILDS_ALLOW_PRIVATE_ADDRESSES: 'yes',
        HALLMARK_BUILDS_TIMEOUT_MINUTES: '5',
        HALLMARK_BUILDS_SECRET_KEY: 'a'.repeat(64),
      },
    });
    expect(config.builds).toMatchObject({
      allowLocalGit: true,
      allowPrivateAddresses: true,
      timeoutMinutes: 5,
      secretKey: 'a'.repeat(64),
    });
    expect(
      configError(() => loadConfig({ env: { HALLMARK_BUILDS_MAX_LOG_BYTES: '10' } })).message,
    ).toMatch(/builds\.maxLogBytes \(from HALLMARK_BUILDS_MAX_LOG_BYTES="10"\)/);
  });

  it('should take the log level from HALLMARK_LOG_LEVEL or --log-level, and refuse others', () => {
    expect(loadConfig({ env: { HALLMARK_LOG_LEVEL: 'debug' } }).log.level).toBe('debug');
    expect(loadConfig({ argv: { logLevel: 'warn' } }).log.level).toBe('warn');
    expect(configError(() => loadConfig({ env: { HALLMARK_LOG_LEVEL: 'loud' } })).message).toMatch(
      /log\.level \(from HALLMARK_LOG_LEVEL="loud"\)/,
    );
  });

  it('should apply file, then environment, then flags, each overriding the previous', async () => {
    const file = await writeJson('c.json', {
      dataDir: '/srv/file',
      server: { port: 1000, host: '127.0.0.1' },
      workers: { concurrency: 3 },
    });
    const config = loadConfig({
      file,
      env: {
        HALLMARK_PORT: '2000',
        HALLMARK_WORKER_CONCURRENCY: '5',
        HALLMARK_DATA_DIR: '/srv/env',
        HALLMARK_TRUST_PROXY: 'yes',
        HALLMARK_PROCESSES: '4',
      },
      argv: { port: '3000', processes: '3' },
      cwd: dir,
    });
    expect(config.server).toEqual({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: undefined,
      trustProxy: true,
      idleTimeoutSeconds: 60,
      headersTimeoutSeconds: 30,
      keepAliveTimeoutSeconds: 65,
      processes: 3,
    });
    expect(config.workers.concurrency).toBe(5);
    expect(config.dataDir).toBe('/srv/env');
    expect(config.blobs.dir).toBe('/srv/env/blobs');
  });

  it('should select PostgreSQL for a postgres:// URL and keep an explicit blob dir', () => {
    const config = loadConfig({
      env: {
        HALLMARK_DATABASE_URL: 'postgres://u@db:5432/hallmark',
        HALLMARK_BLOBS_DIR: 'shared/blobs',
      },
      cwd: dir,
    });
    expect(config.database).toEqual({ dialect: 'postgres', url: 'postgres://u@db:5432/hallmark' });
    expect(config.blobs.dir).toBe(path.join(dir, 'shared/blobs'));
    // The vulnerability index follows the metadata into the database.
    expect(config.scan.vulndb).toEqual({ store: 'postgres', url: 'postgres://u@db:5432/hallmark' });
  });

  it('should let an explicit scan.vulndb win: a postgres URL, or a file', () => {
    const url = 'postgres://u@db:5432/hallmark';
    const other = 'postgresql://v@vulndb:5432/index';
    expect(
      loadConfig({ env: { HALLMARK_DATABASE_URL: url, HALLMARK_VULNDB: other }, cwd: dir }).scan
        .vulndb,
    ).toEqual({ store: 'postgres', url: other });
    expect(
      loadConfig({ env: { HALLMARK_DATABASE_URL: url }, argv: { vulndb: 'idx.sqlite' }, cwd: dir })
        .scan.vulndb,
    ).toEqual({ store: 'sqlite', file: path.join(dir, 'idx.sqlite') });
    expect(loadConfig({ env: { HALLMARK_VULNDB: other }, cwd: dir }).scan.vulndb).toEqual({
      store: 'postgres',
      url: other,
    });
  });

  it('should take the S3 blob store from HALLMARK_BLOBS_DRIVER and HALLMARK_S3_*', () => {
    const config = loadConfig({
      env: {
        HALLMARK_BLOBS_DRIVER: 's3',
        HALLMARK_S3_ENDPOINT: 'http://127.0.0.1:7480/',
        HALLMARK_S3_BUCKET: 'hallmark-blobs',
        HALLMARK_S3_PREFIX: '/prod/',
        HALLMARK_S3_ACCESS_KEY_ID: 'AK',
        HALLMARK_S3_SECRET_ACCESS_KEY: 'SK',
        HALLMARK_S3_FORCE_PATH_STYLE: 'true',
        HALLMARK_S3_REDIRECT: 'yes',
      },
      argv: { s3CreateBucket: true },
      cwd: dir,
    });
    expect(config.blobs).toEqual({
      driver: 's3',
      dir: path.join(dir, 'data', 'blobs'),
      s3: {
        endpoint: 'http://127.0.0.1:7480',
        region: 'us-east-1',
        bucket: 'hallmark-blobs',
        prefix: 'prod/',
        accessKeyId: 'AK',
        secretAccessKey: 'SK',
        forcePathStyle: true,
        redirect: true,
        createBucket: true,
      },
    });
  });

  it('should refuse an S3 store without a bucket, a bad bucket name or half the credentials', () => {
    const missing = configError(() => loadConfig({ env: { HALLMARK_BLOBS_DRIVER: 's3' } }));
    expect(missing.message).toContain('blobs.s3.bucket: must be set when blobs.driver is s3');
    const bad = configError(() =>
      loadConfig({
        env: {
          HALLMARK_BLOBS_DRIVER: 's3',
          HALLMARK_S3_BUCKET: 'Bad_Bucket',
          HALLMARK_S3_ACCESS_KEY_ID: 'AK',
        },
      }),
    );
    expect(bad.message).toContain('blobs.s3.bucket (from HALLMARK_S3_BUCKET="Bad_Bucket")');
    expect(bad.message).toContain('set both blobs.s3.accessKeyId and blobs.s3.secretAccessKey');
    const driver = configError(() => loadConfig({ env: { HALLMARK_BLOBS_DRIVER: 'gcs' } }));
    expect(driver.message).toContain('blobs.driver (from HALLMARK_BLOBS_DRIVER="gcs")');
  });

  it('should parse booleans and ignore empty environment values', () => {
    const config = loadConfig({
      env: { HALLMARK_WORKERS_IN_PROCESS: 'false', HALLMARK_DATABASE_URL: '', HALLMARK_PORT: '' },
      argv: { inProcessWorkers: undefined },
    });
    expect(config.workers.inProcess).toBe(false);
    expect(config.database.dialect).toBe('sqlite');
    expect(config.server.port).toBe(8080);
  });

  it('should accept typed flag values from commander', () => {
    const config = loadConfig({ argv: { inProcessWorkers: false, port: 0, dataDir: '/x' } });
    expect(config.workers.inProcess).toBe(false);
    expect(config.server.port).toBe(0);
  });

  it('should read the file named by HALLMARK_CONFIG and strip a trailing slash of publicUrl', async () => {
    const file = await writeJson('c.json', { server: { publicUrl: 'https://reg.example.com/' } });
    const config = loadConfig({ env: { HALLMARK_CONFIG: file } });
    expect(config.server.publicUrl).toBe('https://reg.example.com');
  });

  it('should report every problem at once with the source of each bad value', async () => {
    const file = await writeJson('bad.json', {
      server: { host: '' },
      colour: 'blue',
      workers: { threads: 4 },
    });
    const err = configError(() =>
      loadConfig({
        file,
        env: { HALLMARK_PORT: 'eighty', HALLMARK_DATABASE_URL: 'mysql://x' },
        argv: { workerConcurrency: '0' },
      }),
    );
    expect(err.code).toBe('config.invalid');
    expect(err.message).toContain('server.port (from HALLMARK_PORT="eighty")');
    expect(err.message).toContain('database.url (from HALLMARK_DATABASE_URL="mysql://x")');
    expect(err.message).toContain('must be a postgres:// URL');
    expect(err.message).toContain('workers.concurrency (from --worker-concurrency)');
    expect(err.message).toContain(`server.host (from config file ${file})`);
    expect(err.message).toContain('unknown setting(s) colour');
    expect(err.message).toContain('unknown setting(s) workers.threads');
    expect(err.detail?.problems).toHaveLength(6);
  });

  it('should report a missing or malformed config file', async () => {
    const missing = configError(() => loadConfig({ file: path.join(dir, 'nope.json') }));
    expect(missing.message).toMatch(/config file .*nope\.json: cannot be read/);
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{"dataDir":');
    expect(configError(() => loadConfig({ file: broken })).message).toContain('not valid JSON');
    const array = await writeJson('array.json', [1]);
    expect(configError(() => loadConfig({ file: array })).message).toContain('JSON object');
  });

  it('should take the staff notification address from HALLMARK_STAFF_EMAIL, and only an address', () => {
    const env = { HALLMARK_STAFF_EMAIL: 'certification@example.com' };
    expect(loadConfig({ env }).mail.staffAddress).toBe('certification@example.com');
    expect(loadConfig({ argv: { staffEmail: 'team@example.com' } }).mail.staffAddress).toBe(
      'team@example.com',
    );
    const err = configError(() => loadConfig({ env: { HALLMARK_STAFF_EMAIL: 'staff' } }));
    expect(err.message).toContain('mail.staffAddress (from HALLMARK_STAFF_EMAIL="staff")');
  });

  it('should return a deeply frozen object', () => {
    const config = loadConfig();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(() => {
      Object.assign(config.server, { port: 1 });
    }).toThrow(TypeError);
  });

  it('should document every environment variable in docs/configuration.md', async () => {
    const doc = await readFile(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    for (const setting of SETTINGS) {
      expect(doc).toContain(`\`${setting.env}\``);
      expect(doc).toContain(`\`${setting.path}\``);
    }
    expect(doc).toContain('`HALLMARK_CONFIG`');
  });
});

describe('unknownEnvironment', () => {
  it('should name each unknown HALLMARK_ variable and the setting it most resembles', () => {
    const unknown = unknownEnvironment({
      HALLMARK_BLOB_DIR: '/srv/blobs',
      HALLMARK_PORT: '9000',
      HALLMARK_SOMETHING_ELSE: 'x',
      HALLMARK_TEST_DATABASE_URL: 'postgres://localhost/test',
      PATH: '/usr/bin',
    });
    expect(unknown).toEqual([
      {
        name: 'HALLMARK_BLOB_DIR',
        closest: 'HALLMARK_BLOBS_DIR',
        message:
          'HALLMARK_BLOB_DIR is not a Hallmark setting and is ignored; did you mean HALLMARK_BLOBS_DIR?',
      },
      {
        name: 'HALLMARK_SOMETHING_ELSE',
        closest: undefined,
        message: 'HALLMARK_SOMETHING_ELSE is not a Hallmark setting and is ignored',
      },
    ]);
  });
});

describe('testConfig', () => {
  it('should build a config from nested overrides', () => {
    const config = testConfig({ dataDir: '/tmp/t', server: { port: 0 } });
    expect(config.server.port).toBe(0);
    expect(config.database).toEqual({ dialect: 'sqlite', file: '/tmp/t/hallmark.db' });
  });

  it('should reject invalid overrides', () => {
    expect(() => testConfig({ workers: { concurrency: -1 } })).toThrow(/workers\.concurrency/);
  });

  it('should hash passwords at the old cost 2^14 unless told otherwise, so suites stay fast', () => {
    expect(testConfig().accounts.scryptCost).toBe(14);
    expect(testConfig({ accounts: { sessionHours: 1 } }).accounts.scryptCost).toBe(14);
    expect(testConfig({ accounts: { scryptCost: 17 } }).accounts.scryptCost).toBe(17);
    expect(() => testConfig({ accounts: { scryptCost: 13 } })).toThrow(/accounts\.scryptCost/);
  });
});
