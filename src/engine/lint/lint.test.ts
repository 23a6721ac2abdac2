import { describe, expect, it } from 'vitest';
import { lintDockerfile } from './index.js';

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
COPY vendorX.repo /etc/yum.repos.d/vendorX.repo
RUN yum install -y vendorX-plugin
RUN mkdir /licenses
COPY licensing.txt /licenses
USER cinder
`;

describe('lintDockerfile', () => {
  it("should find nothing wrong with the guide's example Dockerfile", () => {
    expect(lintDockerfile(GUIDE)).toEqual([]);
    expect(lintDockerfile(GUIDE, { policy: 'container' })).toEqual([]);
  });

  it('should predict each failure with its line', () => {
    const findings = lintDockerfile('FROM ubuntu:22.04\nLABEL name="x"\nUSER root\n');
    expect(findings.map((f) => [f.line, f.assessment])).toEqual([
      [1, 'is_rhel'],
      [1, 'vendor_label_exists'],
      [1, 'release_label_exists'],
      [1, 'version_label_exists'],
      [1, 'has_licenses'],
      [3, 'not_running_as_root'],
    ]);
    expect(findings[0]?.message).toBe(
      'base image "ubuntu:22.04" is not an approved Red Hat base image',
    );
  });

  it('should require a USER in the final stage and treat 0:0 as root', () => {
    const base =
      'FROM registry.access.redhat.com/ubi9/ubi\nLABEL name=a vendor=b version=c release=d\nCOPY L /licenses/L\n';
    expect(lintDockerfile(base).map((f) => f.assessment)).toEqual(['not_running_as_root']);
    expect(lintDockerfile(base + 'USER 0:0\n')[0]).toMatchObject({
      line: 4,
      assessment: 'not_running_as_root',
    });
    expect(lintDockerfile(base + 'USER 1001:0\n')).toEqual([]);
  });

  it('should follow multi-stage builds to the base of the final stage', () => {
    const text = [
      'FROM golang:1.22 AS build',
      'RUN go build -o /app .',
      'FROM registry.access.redhat.com/ubi9/ubi-minimal AS runtime',
      'LABEL name=a vendor=b version=c release=d',
      'FROM runtime',
      'COPY --from=build /app /app',
      'COPY LICENSE /licenses/',
      'USER 1001',
    ].join('\n');
    expect(lintDockerfile(text)).toEqual([]);
  });

  it('should name the container policy labels and warn past 40 layers', () => {
    const runs = Array.from({ length: 41 }, (_, i) => `RUN echo ${i}`).join('\n');
    const findings = lintDockerfile(`FROM registry.redhat.io/ubi9\n${runs}\nUSER 1001\n`, {
      policy: 'container',
    });
    expect(
      findings.filter((f) => f.assessment === 'HasRequiredLabel').map((f) => f.message),
    ).toContain('label `maintainer` is not set');
    expect(findings.find((f) => f.assessment === 'LayerCountAcceptable')).toMatchObject({
      severity: 'warning',
    });
  });

  it('should report a Dockerfile without FROM', () => {
    expect(lintDockerfile('# nothing\n')[0]).toMatchObject({
      assessment: 'is_rhel',
      message: 'the Dockerfile has no FROM instruction',
    });
  });
});
