import { describe, expect, it } from 'vitest';
import { baseKind, DEFAULT_APPROVED_BASES, lintDockerfile } from './index.js';
import { substitute } from './stages.js';

/** The example Dockerfile of the 2018 partner guide ("Preparing the Image for Scanning"). */
const GUIDE = `FROM registry.access.redhat.com/rhosp13/openstack-cinder-volume
MAINTAINER VenderX Systems Engineering <maintainer@vendorX.com>

###Required Labels
LABEL name="rhosp13/openstack-cinder-volume-vendorx-plugin" \\
      maintainer="maintainer@vendorX.com" \\
      vendor="VendorX" \\
      version="3.7" \\
      release="1" \\
      summary="Red Hat OpenStack Platform 13.0 cinder-volume VendorX PluginY" \\
      description="Red Hat OpenStack Platform 13.0 cinder-volume VendorX PluginY"

USER root

###Adding package
###repo exmple
COPY vendorX.repo /etc/yum.repos.d/vendorX.repo

###adding package with curl
RUN curl -L -o /verdorX-plugin.rpm http://vendorX.com/vendorX-plugin.rpm

###adding local package
COPY verdorX-plugin.rpm /

# Enable a repo to install a package
RUN yum clean all
RUN yum-config-manager --enable rhel-7-server-openstack-13-rpms
RUN yum install -y vendorX-plugin
RUN yum-config-manager --disable rhel-7-server-openstack-13-rpms

# Add required license as text file in Liceses directory (GPL, MIT, APACHE, Partner End User Agreement, etc)
RUN mkdir /licenses
COPY licensing.txt /licenses

USER cinder
`;

const CLEAN = [
  'FROM registry.access.redhat.com/ubi9/ubi-minimal',
  'LABEL name=vendorx/plugin vendor=VendorX version=1.0 release=1 summary=s description=d maintainer=m',
  'COPY LICENSE /licenses/',
  'USER 1001',
].join('\n');

const brief = (text: string, policy: 'connect-2018' | 'container' = 'connect-2018') =>
  lintDockerfile(text, { policy }).map((f) => [f.line, f.assessment, f.severity]);

describe('lintDockerfile on the guide’s example', () => {
  it('should find nothing for connect-2018: USER root is followed by USER cinder', () => {
    expect(lintDockerfile(GUIDE)).toEqual([]);
  });

  it('should find only the trademark in the container policy (the summary is not checked)', () => {
    expect(lintDockerfile(GUIDE, { policy: 'container' })).toEqual([]);
    const tm = GUIDE.replace('vendor="VendorX"', 'vendor="Red Hat"');
    expect(brief(tm, 'container')).toEqual([[5, 'HasNoProhibitedLabels', 'error']]);
  });

  it('should flag the guide’s Dockerfile once its last USER is dropped or its licence copy removed', () => {
    expect(brief(GUIDE.replace('USER cinder\n', ''))).toEqual([
      [13, 'not_running_as_root', 'error'],
    ]);
    expect(brief(GUIDE.replace('COPY licensing.txt /licenses\n', ''))).toEqual([
      [32, 'has_licenses', 'warning'],
    ]);
  });
});

describe('lintDockerfile rules', () => {
  it('should predict each failure with its line, missing labels at the last LABEL', () => {
    const findings = lintDockerfile('FROM ubuntu:22.04\nLABEL name="x"\nUSER root\n');
    expect(findings.map((f) => [f.line, f.assessment, f.severity])).toEqual([
      [1, 'is_rhel', 'error'],
      [1, 'has_licenses', 'error'],
      [2, 'vendor_label_exists', 'error'],
      [2, 'release_label_exists', 'error'],
      [2, 'version_label_exists', 'error'],
      [3, 'not_running_as_root', 'error'],
    ]);
    expect(findings[0]).toMatchObject({
      message: 'base image "ubuntu:22.04" is not an approved Red Hat base image',
      suggestion: 'FROM registry.access.redhat.com/ubi9/ubi-minimal',
    });
  });

  it.each([
    ['registry.redhat.io/ubi9/ubi:9.4', true],
    ['ubi9', true],
    ['ubi8/ubi-minimal:latest', true],
    ['redhat/ubi9-minimal', true],
    ['docker.io/redhat/ubi9', true],
    ['docker.io/ubi9', false],
    ['ubiquity/tool', false],
    ['centos:7', false],
    ['quay.io/registry.access.redhat.com/ubi9', false],
  ])('should judge base %s approved=%s', (image, approved) => {
    const findings = lintDockerfile(
      CLEAN.replace('registry.access.redhat.com/ubi9/ubi-minimal', image),
    );
    expect(findings.some((f) => f.assessment === 'is_rhel')).toBe(!approved);
  });

  it('should not approve scratch, and take the approved list as an option', () => {
    expect(lintDockerfile(CLEAN.replace(/^FROM .*/, 'FROM scratch'))[0]?.message).toBe(
      'the image is built FROM scratch, not on an approved Red Hat base image',
    );
    const own = lintDockerfile(CLEAN.replace(/^FROM .*/, 'FROM mirror.example/ubi9'), {
      approvedBases: [/^mirror\.example\//],
    });
    expect(own).toEqual([]);
  });

  it('should substitute ARGs in FROM, with defaults, build args and ${X:-default}', () => {
    const text = (from: string) =>
      `ARG REG=registry.access.redhat.com\nARG TAG\n${CLEAN.replace(/^FROM .*/, from)}`;
    expect(lintDockerfile(text('FROM ${REG}/ubi9/ubi:${TAG:-9.4}'))).toEqual([]);
    expect(lintDockerfile(text('FROM $REG/ubi9/ubi'))).toEqual([]);
    expect(
      lintDockerfile(text('FROM ${REG}/ubi9'), { buildArgs: { REG: 'docker.io' } })[0],
    ).toMatchObject({
      line: 3,
      assessment: 'is_rhel',
      message: 'base image "docker.io/ubi9" is not an approved Red Hat base image',
    });
    expect(lintDockerfile(text('FROM ${TAG}'))[0]).toMatchObject({
      line: 3,
      severity: 'warning',
      message: 'the base image "" uses ARG `TAG` without a default; it cannot be checked',
    });
    expect(
      substitute(
        '${A:+set}-${B:-b}-$C',
        new Map([
          ['A', 'x'],
          ['C', 'c'],
        ]),
      ),
    ).toBe('set-b-c');
  });

  it('should follow multi-stage builds from the final stage to its base', () => {
    const text = [
      'FROM golang:1.22 AS build',
      'RUN go build -o /app .',
      'LABEL vendor=ignored',
      'FROM registry.access.redhat.com/ubi9/ubi-minimal AS runtime',
      'LABEL name=a vendor=b version=c release=d',
      'USER 1001',
      'FROM runtime',
      'COPY --from=build /app /app',
      'COPY LICENSE /licenses/',
    ].join('\n');
    expect(lintDockerfile(text)).toEqual([]);
    const final = text.replace('FROM runtime', 'FROM build');
    expect(brief(final)).toEqual([
      [1, 'is_rhel', 'error'],
      [7, 'release_label_exists', 'error'],
      [7, 'version_label_exists', 'error'],
      [7, 'name_label_exists', 'error'],
      // golang:1.22 runs as root, but lint does not know every official image's USER.
      [7, 'not_running_as_root', 'warning'],
    ]);
  });

  it.each([
    ['USER 0:0', 'the last USER is "0:0", which is root'],
    ['USER root:1001', 'the last USER is "root:1001", which is root'],
    ['USER 000', 'the last USER is "000", which is root'],
  ])('should treat %s as root', (user, message) => {
    const findings = lintDockerfile(CLEAN.replace('USER 1001', user));
    expect(findings).toEqual([
      {
        line: 4,
        assessment: 'not_running_as_root',
        severity: 'error',
        message,
        suggestion: 'USER 1001',
      },
    ]);
  });

  it('should pass 1001:0 and a named user, and warn about a variable user', () => {
    expect(lintDockerfile(CLEAN.replace('USER 1001', 'USER 1001:0'))).toEqual([]);
    expect(lintDockerfile(CLEAN.replace('USER 1001', 'USER cinder'))).toEqual([]);
    expect(brief(CLEAN.replace('USER 1001', 'USER ${UID}'))).toEqual([
      [4, 'not_running_as_root', 'warning'],
    ]);
    expect(
      lintDockerfile(CLEAN.replace('USER 1001\n', '').replace('\nUSER 1001', ''))[0],
    ).toMatchObject({
      line: 1,
      message: 'the final stage sets no USER, so the image runs as root',
    });
  });

  it.each([
    'COPY ["LICENSE", "/licenses/"]',
    'ADD --chmod=644 https://example.com/LICENSE /licenses/LICENSE',
    'COPY --from=build /src/LICENSE /licenses',
    'WORKDIR /licenses\nCOPY LICENSE .',
    'RUN mkdir -p /licenses && cp /usr/share/doc/x/LICENSE /licenses/',
    'RUN curl -sSLo /licenses/LICENSE https://example.com/LICENSE',
    'RUN echo MIT > /licenses/LICENSE',
  ])('should accept a licence put in place by %j', (line) => {
    expect(lintDockerfile(CLEAN.replace('COPY LICENSE /licenses/', line))).toEqual([]);
  });

  it('should not accept a licence copied elsewhere', () => {
    expect(brief(CLEAN.replace('COPY LICENSE /licenses/', 'COPY LICENSE /licenses-old/'))).toEqual([
      [1, 'has_licenses', 'error'],
    ]);
  });

  it('should count MAINTAINER as the maintainer label and name each missing container label', () => {
    const text =
      'FROM ubi9\nMAINTAINER me@example.com\nLABEL name=a vendor=b version=1 release=1 summary=s\nCOPY L /licenses/\nUSER 1001\n';
    expect(lintDockerfile(text, { policy: 'container' })).toEqual([
      {
        line: 3,
        assessment: 'HasRequiredLabel',
        severity: 'error',
        message:
          'label `description` is not set (a value inherited from the base image would describe the base, not your product)',
        suggestion: 'LABEL description="…"',
      },
    ]);
  });

  it('should flag privileged RUN/INSTALL labels for connect-2018', () => {
    const text = `${CLEAN}\nLABEL RUN="podman run --privileged --net=host IMAGE" install="podman run IMAGE"`;
    expect(lintDockerfile(text)).toEqual([
      {
        line: 5,
        assessment: 'not_running_privileged',
        severity: 'error',
        message: 'label `RUN` asks for --privileged, --net=host',
        suggestion: 'LABEL RUN="…" without --privileged, --net=host',
      },
    ]);
  });

  it('should warn past 40 layer-creating instructions at the first one over, and at 40 on a base', () => {
    const runs = (n: number) => Array.from({ length: n }, (_, i) => `RUN echo ${i}`).join('\n');
    const over = lintDockerfile(`${CLEAN}\n${runs(40)}`);
    expect(over).toEqual([
      expect.objectContaining({ line: 44, assessment: 'good_layer_count', severity: 'warning' }),
    ]);
    expect(over[0]?.message).toContain('docker build, podman build');
    expect(brief(`${CLEAN}\n${runs(39)}`, 'container')).toEqual([
      [1, 'LayerCountAcceptable', 'warning'],
    ]);
    const scratch = `${CLEAN.replace(/^FROM .*/, 'FROM scratch')}\n${runs(39)}`;
    expect(brief(scratch).filter(([, a]) => a === 'good_layer_count')).toEqual([]);
  });

  it('should report a Dockerfile without FROM', () => {
    expect(lintDockerfile('# nothing\n', { policy: 'container' })).toEqual([
      {
        line: 1,
        assessment: 'BasedOnUbi',
        severity: 'error',
        message: 'the Dockerfile has no FROM instruction',
        suggestion: 'start with FROM registry.access.redhat.com/ubi9/ubi-minimal',
      },
    ]);
  });
});

describe('lintDockerfile: where missing labels are reported', () => {
  it('should report missing labels at the last LABEL of the final stage', () => {
    const text = [
      'FROM registry.access.redhat.com/ubi9/ubi-minimal',
      'LABEL name=a',
      'COPY LICENSE /licenses/',
      'LABEL vendor=b',
      'USER 1001',
    ].join('\n');
    expect(brief(text)).toEqual([
      [4, 'release_label_exists', 'error'],
      [4, 'version_label_exists', 'error'],
    ]);
  });

  it('should report them at the final FROM when the final stage has no LABEL, even if an earlier stage has', () => {
    const text = [
      'FROM registry.access.redhat.com/ubi9/ubi-minimal AS runtime',
      'LABEL name=a vendor=b',
      'FROM runtime',
      'COPY LICENSE /licenses/',
      'USER 1001',
    ].join('\n');
    expect(brief(text)).toEqual([
      [3, 'release_label_exists', 'error'],
      [3, 'version_label_exists', 'error'],
    ]);
  });
});

describe('lintDockerfile: what lint cannot see is a warning', () => {
  const noLicense = CLEAN.replace('COPY LICENSE /licenses/\n', '');

  it.each([
    ['COPY rootfs/ /', 3],
    ['COPY . /', 3],
    ['COPY --from=build /out /', 3],
    ['ADD vendor-licenses.tar.gz /', 3],
    ['ADD https://example.com/repo.git /', 3],
    ['WORKDIR /\nCOPY rootfs .', 4],
    ['RUN tar -xzf /tmp/bundle.tgz -C /', 3],
    ['RUN cp -a /tmp/root/. / && rm -rf /tmp/root', 3],
  ])('should warn that %j may put licences under /licenses', (line, at) => {
    const text = noLicense.replace('USER 1001', `${line}\nUSER 1001`);
    const findings = lintDockerfile(text);
    expect(findings).toEqual([
      expect.objectContaining({ line: at, assessment: 'has_licenses', severity: 'warning' }),
    ]);
    expect(findings[0]?.message).toContain('lint cannot see what it copies');
  });

  it.each([
    'COPY app.jar /',
    'ADD https://example.com/bundle.tar /',
    'COPY rootfs/ /opt/app/',
    'RUN cp app.jar /opt/',
  ])('should still fail when %j cannot create /licenses', (line) => {
    const text = noLicense.replace('USER 1001', `${line}\nUSER 1001`);
    expect(brief(text)).toEqual([[1, 'has_licenses', 'error']]);
  });

  it('should warn, not fail, on a base lint cannot see into', () => {
    const text = 'FROM quay.io/acme/base:1.0\nRUN make\n';
    const findings = lintDockerfile(text);
    expect(findings.map((f) => [f.line, f.assessment, f.severity])).toEqual([
      [1, 'is_rhel', 'warning'],
      [1, 'vendor_label_exists', 'warning'],
      [1, 'release_label_exists', 'warning'],
      [1, 'version_label_exists', 'warning'],
      [1, 'name_label_exists', 'warning'],
      [1, 'has_licenses', 'warning'],
      [1, 'not_running_as_root', 'warning'],
    ]);
    expect(findings[0]?.message).toBe(
      'base image "quay.io/acme/base:1.0" is not from Red Hat\'s registries; it passes only if it is itself built on an approved Red Hat base',
    );
    expect(findings[1]?.message).toBe(
      'label `vendor` is not set; it passes only if the base image "quay.io/acme/base:1.0" sets it, for your product',
    );
  });

  it('should warn about a missing USER and licence on a Red Hat runtime image, which may set them', () => {
    const text =
      'FROM registry.access.redhat.com/ubi9/python-311\nLABEL name=a vendor=b version=1 release=1\n';
    expect(brief(text)).toEqual([
      [1, 'has_licenses', 'warning'],
      [1, 'not_running_as_root', 'warning'],
    ]);
  });

  it.each([
    ['scratch', 'scratch'],
    ['registry.access.redhat.com/ubi9/ubi-minimal:9.4', 'ubi'],
    ['registry.redhat.io/ubi8/ubi-micro@sha256:abc', 'ubi'],
    ['ubi9', 'ubi'],
    ['redhat/ubi9-minimal', 'ubi'],
    ['registry.access.redhat.com/ubi8/python-39', 'redhat'],
    ['registry.access.redhat.com/rhosp13/openstack-cinder-volume', 'redhat'],
    ['ubuntu:22.04', 'library'],
    ['docker.io/library/node:20', 'library'],
    ['docker.io/golang', 'library'],
    ['ubiquity/tool', 'unknown'],
    ['localhost:5000/base', 'unknown'],
    ['quay.io/registry.access.redhat.com/ubi9', 'unknown'],
  ] as const)('should classify base %s as %s', (image, kind) => {
    expect(baseKind(image, DEFAULT_APPROVED_BASES, false)).toBe(kind);
  });
});
