import { describe, expect, it } from 'vitest';
import { fileEntry, makeContext, makeImage, makeTree } from '../test-context.js';
import { checkPrivileged, privilegedOptions, shellWords } from './privileged.js';

describe('privilegedOptions', () => {
  it.each([
    ['podman run --privileged IMAGE', ['--privileged']],
    ['docker run --privileged=true IMAGE', ['--privileged']],
    ['docker run --cap-add=ALL IMAGE', ['--cap-add=ALL']],
    ['docker run --cap-add all IMAGE', ['--cap-add=all']],
    ['docker run --pid=host --net=host IMAGE', ['--pid=host', '--net=host']],
    ['docker run --network host IMAGE', ['--network=host']],
    ['docker run -v /:/host IMAGE', ['-v /:/host']],
    ['docker run --volume=/:/host:ro,z IMAGE', ['--volume /:/host:ro,z']],
    [
      'docker run --mount type=bind,source=/,target=/host IMAGE',
      ['--mount type=bind,source=/,target=/host'],
    ],
    ['docker run "--privileged" IMAGE', ['--privileged']],
  ])('should find the privileged options of %j', (command, expected) => {
    expect(privilegedOptions(command)).toEqual(expected);
  });

  it.each([
    'docker run -d --name x IMAGE',
    'docker run --privileged=false IMAGE',
    'docker run --cap-add=NET_BIND_SERVICE IMAGE',
    'docker run --net=bridge -v /data:/data -v /etc/app:/etc/app IMAGE',
    'docker run --mount type=bind,source=/srv,target=/srv IMAGE',
    'docker run -e MSG="--privileged please" IMAGE',
  ])('should find nothing in %j', (command) => {
    expect(privilegedOptions(command)).toEqual([]);
  });

  it('should join quoted pieces into one word', () => {
    expect(shellWords(`run --opt="a b" 'c d' e`)).toEqual(['run', '--opt=a b', 'c d', 'e']);
  });
});

describe('checkPrivileged', () => {
  const image = (Labels: Record<string, string>, layers?: string[]) =>
    makeImage({ User: '1001', Labels }, layers ? { layers } : {});

  it('should pass an image with a plain RUN label and capabilities only in the base layer', () => {
    const fs = makeTree({
      '/usr/bin/ping': fileEntry('ping', { hasCapabilities: true, layer: 0 }),
    });
    const result = checkPrivileged(
      makeContext({ image: image({ RUN: 'podman run -d IMAGE' }), fs }),
    );
    expect(result.outcome).toBe('pass');
  });

  it('should fail a RUN or INSTALL label in any case, naming the options', () => {
    const result = checkPrivileged(
      makeContext({
        image: image({ install: 'docker run --rm --privileged -v /:/host IMAGE install' }),
      }),
    );
    expect(result).toMatchObject({
      outcome: 'fail',
      reason: 'label `install` asks for --privileged, -v /:/host',
    });
  });

  it('should fail capabilities on files added above the base layer, naming them', () => {
    const fs = makeTree({
      '/usr/bin/ping': fileEntry('ping', { hasCapabilities: true, layer: 0 }),
      '/usr/local/bin/tool': fileEntry('tool', { hasCapabilities: true, layer: 1 }),
    });
    expect(checkPrivileged(makeContext({ image: image({}), fs }))).toMatchObject({
      outcome: 'fail',
      reason: expect.stringContaining(
        'on 1 file added above the base image: /usr/local/bin/tool (layer 2)',
      ),
    });
  });

  it('should treat the layers of a matched approved base as the base', () => {
    const fs = makeTree({
      '/usr/bin/tool': fileEntry('tool', { hasCapabilities: true, layer: 1 }),
    });
    const layers = ['sha256:a', 'sha256:b', 'sha256:c'];
    const ctx = makeContext({
      image: image({}, layers),
      fs,
      options: { approvedBaseLayers: [['sha256:a', 'sha256:b']] },
    });
    expect(checkPrivileged(ctx).outcome).toBe('pass');
  });
});
