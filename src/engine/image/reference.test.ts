import { describe, expect, it } from 'vitest';
import { parseImageReference } from './reference.js';

const D = 'sha256:' + 'a'.repeat(64);

describe('parseImageReference', () => {
  it.each([
    ['oci:/tmp/x:1.0', { transport: 'oci', dir: '/tmp/x', tag: '1.0' }],
    ['oci:/tmp/x', { transport: 'oci', dir: '/tmp/x' }],
    [
      'oci:rel/dir:example.com/app:2',
      { transport: 'oci', dir: 'rel/dir', tag: 'example.com/app:2' },
    ],
    ['docker-archive:/a/b.tar', { transport: 'docker-archive', file: '/a/b.tar' }],
    [
      'docker-archive:/a/b.tar:acme/p:1',
      { transport: 'docker-archive', file: '/a/b.tar', ref: 'acme/p:1' },
    ],
    ['docker-archive:/a/b.tar:@1', { transport: 'docker-archive', file: '/a/b.tar', ref: '@1' }],
    [
      'docker://localhost:5000/acme/p:1.0',
      { transport: 'docker', registry: 'localhost:5000', repository: 'acme/p', tag: '1.0' },
    ],
    [
      `docker://127.0.0.1:5000/acme/p@${D}`,
      { transport: 'docker', registry: '127.0.0.1:5000', repository: 'acme/p', digest: D },
    ],
    [
      `docker://quay.io/acme/p:1@${D}`,
      { transport: 'docker', registry: 'quay.io', repository: 'acme/p', tag: '1', digest: D },
    ],
    [
      'docker://ubi9',
      { transport: 'docker', registry: 'registry-1.docker.io', repository: 'library/ubi9' },
    ],
    [
      'docker://docker.io/acme/tool:v2',
      { transport: 'docker', registry: 'registry-1.docker.io', repository: 'acme/tool', tag: 'v2' },
    ],
  ])('should parse %s', (ref, want) => {
    expect(parseImageReference(ref)).toEqual(want);
  });

  it.each([
    'ubi9',
    'docker://host.io/Bad_Repo',
    'docker://h.io/r@sha256:xyz',
    'docker://h.io/r:bad tag',
    'oci:',
    'oci:/tmp/x:',
    'docker-archive:',
  ])('should refuse %s with image.reference_invalid', (ref) => {
    expect(() => parseImageReference(ref)).toThrow(
      expect.objectContaining({
        code: 'image.reference_invalid',
        message: expect.stringContaining(ref.slice(0, 8)),
      }),
    );
  });
});
