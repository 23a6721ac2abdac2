import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_OPTIONS, getPolicy, POLICY_IDS, runPolicy } from './index.js';
import { fileEntry, linkEntry, makeContext, makeImage, makeTree } from './test-context.js';
import type { Policy } from './types.js';

/** GitHub's heading anchors: lower case, spaces to dashes, punctuation but `-`/`_` dropped. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    out.add(
      (m[1] ?? '')
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    );
  }
  return out;
}

describe('the built-in policies', () => {
  it('should list the connect-2018 assessments in the guide’s order', () => {
    expect(getPolicy('connect-2018').checks.map((c) => c.name)).toEqual([
      'has_licenses',
      'not_running_privileged',
      'rpm_list_successful',
      'rpm_verify_successful',
      'is_rhel',
      'vendor_label_exists',
      'free_of_critical_vulnerabilities',
      'good_tags',
      'good_layer_count',
      'release_label_exists',
      'not_running_as_root',
      'version_label_exists',
      'name_label_exists',
      'layer_paths_valid',
    ]);
  });

  it('should list the container assessments', () => {
    expect(getPolicy('container').checks.map((c) => c.name)).toEqual([
      'HasLicense',
      'HasUniqueTag',
      'LayerCountAcceptable',
      'HasNoProhibitedPackages',
      'HasRequiredLabel',
      'HasNoProhibitedLabels',
      'RunAsNonRoot',
      'HasModifiedFiles',
      'BasedOnUbi',
      'LayerPathsValid',
    ]);
  });

  it.each(POLICY_IDS)(
    'should link every %s assessment to a section of its policy text',
    async (id) => {
      const policy = getPolicy(id);
      const text = await readFile(
        new URL(`../../../docs/policy/${id}.md`, import.meta.url),
        'utf8',
      );
      const sections = anchors(text);
      for (const check of policy.checks) {
        const [file, anchor] = check.url.split('#');
        expect(file).toBe(`docs/policy/${id}.md`);
        expect(sections, `${check.name} → #${anchor ?? ''}`).toContain(anchor);
      }
    },
  );

  it('should default to at most 40 layers and the vendor trademark pattern', () => {
    expect(DEFAULT_POLICY_OPTIONS.maxLayers).toBe(40);
    expect(DEFAULT_POLICY_OPTIONS.prohibitedLabelPattern.test('Red Hat, Inc.')).toBe(true);
    expect(DEFAULT_POLICY_OPTIONS.approvedBaseLayers).toEqual([]);
  });
});

describe('runPolicy', () => {
  const certified = () =>
    makeContext({
      image: makeImage({
        User: '1001',
        Labels: { name: 'n', vendor: 'v', version: '1', release: '1' },
      }),
      fs: makeTree({ '/licenses/L': fileEntry('MIT') }),
    });

  it('should report every check with its description, reason, suggestion and url', async () => {
    const results = await runPolicy(getPolicy('connect-2018'), certified());
    expect(results).toHaveLength(14);
    expect(results[0]).toEqual({
      name: 'has_licenses',
      outcome: 'pass',
      required: true,
      description: '/licenses holds at least one non-empty licence file',
      reason: '/licenses holds 1 non-empty file: /licenses/L',
      suggestion: '',
      url: 'docs/policy/connect-2018.md#has_licenses',
    });
    expect(results.find((r) => r.name === 'free_of_critical_vulnerabilities')).toMatchObject({
      outcome: 'error',
      reason: 'no vulnerability data',
    });
  });

  it('should mark advisory assessments as not required', async () => {
    const ctx = certified();
    ctx.options = { ...ctx.options, advisory: new Set(['good_tags']) };
    const results = await runPolicy(getPolicy('connect-2018'), ctx);
    expect(results.filter((r) => !r.required).map((r) => r.name)).toEqual(['good_tags']);
  });

  it('should turn a check that throws into an error with its message, never a pass', async () => {
    const loop = makeTree({ '/licenses': linkEntry('/a'), '/a': linkEntry('/licenses') });
    const results = await runPolicy(getPolicy('container'), makeContext({ fs: loop }));
    expect(results[0]).toMatchObject({
      name: 'HasLicense',
      outcome: 'error',
      reason: expect.stringMatching(
        /^the check could not run: too many levels of symbolic links at \//,
      ),
    });
  });

  it('should await asynchronous checks', async () => {
    const policy: Policy = {
      id: 'container',
      title: 't',
      checks: [
        {
          name: 'Async',
          description: 'd',
          url: 'u',
          run: () => Promise.resolve({ outcome: 'fail', reason: 'r', suggestion: 's' }),
        },
        {
          name: 'Rejects',
          description: 'd',
          url: 'u',
          run: () => Promise.reject(new Error('boom')),
        },
      ],
    };
    const results = await runPolicy(policy, makeContext());
    expect(results.map((r) => [r.outcome, r.reason, r.suggestion])).toEqual([
      ['fail', 'r', 's'],
      ['error', 'the check could not run: boom', ''],
    ]);
  });
});
