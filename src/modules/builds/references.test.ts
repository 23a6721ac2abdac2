import { describe, expect, it } from 'vitest';
import { ownRegistryHosts, parseBaseReference } from './references.js';

describe('parseBaseReference', () => {
  it.each([
    ['ubi9', 'registry-1.docker.io/library/ubi9:latest'],
    ['docker.io/library/ubi9:latest', 'registry-1.docker.io/library/ubi9:latest'],
    ['index.docker.io/library/ubi9', 'registry-1.docker.io/library/ubi9:latest'],
    ['acme/tool:2', 'registry-1.docker.io/acme/tool:2'],
    ['Registry.Example.com/ubi9/ubi:9.4', 'registry.example.com/ubi9/ubi:9.4'],
    ['127.0.0.1:5000/ns/ubi:9.4', '127.0.0.1:5000/ns/ubi:9.4'],
    ['localhost:5000/ns/ubi', 'localhost:5000/ns/ubi:latest'],
  ])('should read %s as the tag %s', (reference, key) => {
    expect(parseBaseReference(reference)?.key).toBe(key);
  });

  it('should keep the digest of a pinned base', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseBaseReference(`quay.io/x/y:1@${digest}`)).toMatchObject({
      registry: 'quay.io',
      repository: 'x/y',
      tag: '1',
      digest,
    });
  });

  it.each(['scratch', 'SCRATCH', '', 'docker://quay.io/x', 'Upper/Case', 'a b'])(
    'should see no registry tag in %j',
    (reference) => {
      expect(parseBaseReference(reference)).toBeUndefined();
    },
  );
});

describe('ownRegistryHosts', () => {
  it('should answer every loopback name with the port of a loopback server', () => {
    expect([...ownRegistryHosts(['http://127.0.0.1:8080'])].sort()).toEqual([
      '127.0.0.1:8080',
      '[::1]:8080',
      'localhost:8080',
    ]);
  });

  it('should spell out the default port of a public URL, and skip what is not one', () => {
    expect([...ownRegistryHosts(['https://Hallmark.Example.com', undefined, 'not a url'])]).toEqual(
      ['hallmark.example.com:443', 'hallmark.example.com'],
    );
  });
});
