/**
 * Fuzzing `hallmark lint` with hostile Dockerfiles (see test/support/fuzz.ts for the budgets and
 * the FUZZ_SEED / FUZZ_RUNS / FUZZ_PATH knobs): instruction soup with odd arguments, ARG
 * substitutions, stage aliases, continuations, byte mutations of a real Dockerfile and random
 * text. The linter documents no error: any text gives findings and never throws.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { FuzzTarget, fuzzParams, mutated } from '../../../test/support/fuzz.js';
import { lintDockerfile } from './index.js';

const REAL = `ARG BASE=registry.access.redhat.com/ubi9/ubi-minimal
FROM \${BASE} AS build
RUN microdnf install -y gcc && \\
    make
FROM build AS test
COPY --from=build /out /out
FROM registry.access.redhat.com/ubi9/ubi-minimal
LABEL name="x" vendor="y" version="1" release="1" summary="s" description="d"
COPY licenses/ /licenses/
ADD https://example.com/a.tar.gz /tmp/
USER 1001
`;

const keywords = fc.constantFrom(
  'FROM',
  'from',
  'ARG',
  'LABEL',
  'USER',
  'RUN',
  'COPY',
  'ADD',
  'ENV',
  'ONBUILD',
  'HEALTHCHECK',
  'SHELL',
  'MAINTAINER',
  'EXPOSE',
  'WORKDIR',
  '#',
  '# syntax=docker/dockerfile:1',
  '# escape=`',
);
const words = fc.oneof(
  fc.constantFrom(
    'AS',
    'scratch',
    'ubi9',
    'build',
    '$A',
    '${A}',
    '${A:-x}',
    '${A:+y}',
    '${',
    '$',
    'A=1',
    'A=',
    '=',
    '"',
    "'",
    '\\',
    '--from=build',
    '--chown=1:1',
    '<<EOF',
    'EOF',
    '[',
    '["a",',
    'name="x"',
    'licenses/',
    '0',
    'root',
    '-1',
  ),
  fc.string({ maxLength: 12 }),
);
const line = fc
  .tuple(keywords, fc.array(words, { maxLength: 5 }), fc.constantFrom('', '', ' \\', '\r', '\t'))
  .map(([k, ws, end]) => `${k} ${ws.join(' ')}${end}`);
const dockerfiles = fc.oneof(
  { arbitrary: fc.array(line, { maxLength: 25 }).map((ls) => ls.join('\n')), weight: 6 },
  { arbitrary: mutated(Buffer.from(REAL), 6).map((b) => b.toString('utf8')), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 400 }), weight: 1 },
);
const buildArgs = fc.dictionary(fc.constantFrom('A', 'BASE', '__proto__', 'constructor'), words, {
  maxKeys: 3,
});

describe('lintDockerfile under fuzzing', () => {
  it('gives findings for any text and never throws', () => {
    const target = new FuzzTarget('lintDockerfile', () => false);
    fc.assert(
      fc.property(dockerfiles, buildArgs, (text, args) => {
        target.call(() => lintDockerfile(text, { buildArgs: args }));
      }),
      fuzzParams(3000),
    );
  });
});
