import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('hallmark binary: arguments and exit codes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hallmark-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should print help and the version with exit code 0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('check');
    expect(help.stdout).toContain('lint');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [['check', 'oci:/nonexistent', '--policy', 'nope'], /nope/],
    [['check', 'oci:/nonexistent', '--output', 'xml'], /xml/],
    [['check'], /missing required argument/],
    [['check', 'oci:/x', '--platform', 'linux'], /--platform takes OS\/ARCH/],
    [['check', 'oci:/x', '--creds', 'nopassword'], /--creds takes USER:PASSWORD/],
    [['check', 'oci:/x', '--tls-verify=perhaps'], /--tls-verify takes true or false/],
    [['frobnicate'], /unknown command/],
  ])('should exit 2 with a clear message for %j', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('should exit 2 when the image cannot be read, naming it', async () => {
    const run = await runCli(['check', `oci:${join(dir, 'missing-layout')}:1.0`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing-layout');
  });

  it('should exit 2 with problem JSON on stderr when --json-errors is given', async () => {
    const run = await runCli(['--json-errors', 'check', 'not-a-transport']);
    expect(run.code).toBe(2);
    const problem = JSON.parse(run.stderr.trim()) as { code: string; status: number };
    expect(problem.status).toBe(2);
    expect(problem.code).toMatch(/^image\./);
  });

  it('should lint a Dockerfile and exit 1 on predicted failures, 0 when clean', async () => {
    const bad = join(dir, 'Dockerfile.bad');
    await writeFile(bad, 'FROM ubuntu:22.04\nRUN echo hi\n');
    const failing = await runCli(['lint', bad]);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/Dockerfile\.bad:1 /);
    const good = join(dir, 'Dockerfile.good');
    await writeFile(
      good,
      [
        'FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4',
        'LABEL name="acme/plugin" vendor="Acme" version="1.0" release="1" summary="s" description="d" maintainer="ops@acme.example"',
        'COPY LICENSE /licenses/',
        'USER 1001',
        '',
      ].join('\n'),
    );
    const passing = await runCli(['lint', good, '--output', 'json']);
    expect(passing.code).toBe(0);
    expect((JSON.parse(passing.stdout) as { findings: unknown[] }).findings).toEqual([]);
  });

  it('should exit 0 on warnings alone and 1 with --strict', async () => {
    const guessed = join(dir, 'Dockerfile.guessed');
    // Licences may come with rootfs/: lint cannot see inside it, so this is only a warning.
    await writeFile(
      guessed,
      [
        'FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4',
        'LABEL name="acme/plugin" vendor="Acme" version="1.0" release="1"',
        'COPY rootfs/ /',
        'USER 1001',
        '',
      ].join('\n'),
    );
    const lenient = await runCli(['lint', guessed]);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/Dockerfile\.guessed:3 +warning +has_licenses/);
    expect(lenient.stdout).toContain('0 error(s), 1 warning(s) (warnings fail only with --strict)');
    const strict = await runCli(['lint', '--strict', guessed, '--output', 'json']);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.stdout)).toMatchObject({
      strict: true,
      findings: [{ line: 3, assessment: 'has_licenses', severity: 'warning' }],
    });
    const help = await runCli(['lint', '--help']);
    expect(help.stdout).toContain('--strict');
  });

  it('should exit 2 when the Dockerfile does not exist', async () => {
    const run = await runCli(['lint', join(dir, 'nope', 'Dockerfile')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot read');
  });
});
