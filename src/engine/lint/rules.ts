/** The linter's rules: each predicts one assessment from the instructions of the final image. */
import { Copy, Add, Label } from 'dockerfile-ast';
import type { Instruction } from 'dockerfile-ast';
import { matchesPattern, TRADEMARK_LABELS } from '../policy/checks/labels.js';
import { privilegedOptions } from '../policy/checks/privileged.js';
import { REQUIRED_LABELS } from '../policy/container.js';
import type { PolicyId } from '../policy/types.js';
import { lineOf } from './stages.js';

/** One predicted failure. */
export interface LintFinding {
  /**
   * 1-based line of the instruction to change, or where to add what is absent: the final stage's
   * last LABEL for a missing label, the final FROM for anything else.
   */
  line: number;
  assessment: string;
  /**
   * `error`: the Dockerfile alone settles that the assessment fails. `warning`: it may fail,
   * depending on what lint cannot see (the base image's content, copied directories, the builder).
   */
  severity: 'error' | 'warning';
  message: string;
  suggestion: string;
}

/**
 * What lint knows of the external base image at the bottom of the final stage:
 * - `scratch`: empty, nothing is inherited;
 * - `ubi`: a plain UBI base (`ubi9`, `ubi9/ubi-minimal`, `-micro`, `-init`): runs as root, carries
 *   Red Hat's labels, no /licenses;
 * - `redhat`: another approved Red Hat image (a language runtime, a product): may set USER or
 *   ship /licenses;
 * - `library`: a Docker Hub official image (`ubuntu`, `node`): never built on RHEL;
 * - `unknown`: any other image, or one named through an ARG without a value: its content is
 *   not visible to lint.
 */
export type BaseKind = 'scratch' | 'ubi' | 'redhat' | 'library' | 'unknown';

/** What the rules look at: the final image's instructions, oldest stage first. */
export interface RuleInput {
  policy: PolicyId;
  instructions: Instruction[];
  /** Line of the final stage's FROM, for things that are absent. */
  finalLine: number;
  /** Line of the final stage's last LABEL (its FROM when it has none), for missing labels. */
  labelLine: number;
  /** The base image as written after ARG substitution, and what lint knows of it. */
  base: { name: string; kind: BaseKind };
}

/** The assessment each rule predicts, per policy. */
export const ASSESSMENTS = {
  'connect-2018': {
    license: 'has_licenses',
    base: 'is_rhel',
    user: 'not_running_as_root',
    layers: 'good_layer_count',
  },
  container: {
    license: 'HasLicense',
    base: 'BasedOnUbi',
    user: 'RunAsNonRoot',
    layers: 'LayerCountAcceptable',
  },
} as const;

const LICENSES = /^\/licenses(\/|$)/;
/** A command that writes files, followed within the same simple command by a /licenses path. */
const WRITES_LICENSES =
  /(?:\b(?:cp|mv|install|ln|curl|wget|tee|tar|unzip|rsync|cat|echo|printf)\b|>)[^;&|\n]*\/licenses\b/;
const MKDIR_LICENSES = /\bmkdir\b[^;&|\n]*\/licenses\b/;

function finding(
  line: number,
  assessment: string,
  message: string,
  suggestion: string,
  severity: LintFinding['severity'] = 'error',
): LintFinding {
  return { line, assessment, severity, message, suggestion };
}

/** The arguments of a COPY/ADD without its flags, shell or JSON form; the last is the destination. */
function paths(i: Copy | Add): string[] {
  const json = i.getJSONStrings();
  return json.length > 0
    ? json.map((j) => j.getJSONValue())
    : i.getArguments().map((a) => a.getValue());
}

function joinDir(dir: string, path: string): string {
  return path.startsWith('/') ? path : `${dir.replace(/\/$/, '')}/${path}`;
}

/** True for `/`, `/.`, `//`: the only directory whose copied contents can create /licenses. */
function isRoot(path: string): boolean {
  return path.split('/').every((p) => p === '' || p === '.');
}

/** Local archives that ADD unpacks. */
const ARCHIVE = /\.(?:tar|tgz|txz|tbz2?|tar\.(?:gz|xz|bz2|zst))$/i;

/**
 * Whether copying `src` into `/` may create /licenses: a directory (its contents are copied), a
 * glob, an archive ADD unpacks, a git repository ADD checks out. A name with an extension is
 * taken for a file; a bare name (`rootfs`, `LICENSE`) may be either.
 */
function mayHoldTree(src: string, add: boolean): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(src) || src.startsWith('git@')) {
    return add && /(?:\.git(?:[#?].*)?|^git@.*)$/.test(src);
  }
  if (add && ARCHIVE.test(src)) {
    return true;
  }
  const last = src.replace(/\/+$/, '').split('/').pop() ?? '';
  return (
    src.endsWith('/') ||
    last === '' ||
    last === '.' ||
    /[*?[]/.test(last) ||
    !/.\.[A-Za-z0-9]+$/.test(last)
  );
}

/** A RUN that copies or unpacks into `/` (`cp -a x/. /`, `tar -xf x.tar -C /`). */
const WRITES_ROOT =
  /\b(?:cp|mv|rsync|tar|unzip|bsdtar)\b[^;&|\n]*(?:\s|=|-[Cd])\/(?:\.\/?)?(?=[\s;&|]|$)/;

/** Which bases lint knows to have no /licenses of their own. */
const NO_LICENSES: readonly BaseKind[] = ['scratch', 'ubi', 'library'];

/** has_licenses / HasLicense: something puts a file under /licenses. */
export function licenseRule(input: RuleInput): LintFinding[] {
  const name = ASSESSMENTS[input.policy].license;
  let workdir = '/';
  let mkdirLine: number | undefined;
  let maybe: { line: number; what: string } | undefined;
  for (const i of input.instructions) {
    const keyword = i.getKeyword();
    if (keyword === 'WORKDIR') {
      workdir = joinDir(workdir, i.getArgumentsContent() ?? '/');
    } else if (i instanceof Copy || i instanceof Add) {
      const args = paths(i);
      const dest = joinDir(workdir, args[args.length - 1] ?? '');
      if (LICENSES.test(dest)) {
        return [];
      }
      const add = i instanceof Add;
      if (isRoot(dest) && args.slice(0, -1).some((src) => mayHoldTree(src, add))) {
        maybe ??= { line: lineOf(i), what: `${keyword} into /` };
      }
    } else if (keyword === 'RUN') {
      const run = i.getArgumentsContent() ?? '';
      if (WRITES_LICENSES.test(run)) {
        return [];
      }
      if (MKDIR_LICENSES.test(run)) {
        mkdirLine = lineOf(i);
      }
      if (WRITES_ROOT.test(run)) {
        maybe ??= { line: lineOf(i), what: 'RUN writing into /' };
      }
    }
  }
  if (maybe) {
    return [
      finding(
        maybe.line,
        name,
        `this ${maybe.what} may put licence files under /licenses, but lint cannot see what it copies`,
        'COPY LICENSE /licenses/ (a visible copy also tells reviewers where the licences are)',
        'warning',
      ),
    ];
  }
  if (mkdirLine !== undefined) {
    return [
      finding(
        mkdirLine,
        name,
        '/licenses is created but nothing visible copies a licence file into it; an empty /licenses fails',
        'COPY LICENSE /licenses/',
        'warning',
      ),
    ];
  }
  if (!NO_LICENSES.includes(input.base.kind)) {
    return [
      finding(
        input.finalLine,
        name,
        `no licence file is copied into /licenses; it passes only if the base image "${input.base.name}" already has one`,
        'COPY LICENSE /licenses/',
        'warning',
      ),
    ];
  }
  return [
    finding(
      input.finalLine,
      name,
      'no licence file is copied into /licenses',
      'COPY LICENSE /licenses/',
    ),
  ];
}

/** not_running_as_root / RunAsNonRoot: the last USER is set and is not root. */
export function userRule(input: RuleInput): LintFinding[] {
  const name = ASSESSMENTS[input.policy].user;
  const users = input.instructions.filter((i) => i.getKeyword() === 'USER');
  const last = users[users.length - 1];
  if (!last) {
    // Plain UBI bases and scratch run as root; other bases (s2i runtimes, a partner's own base)
    // may set a USER of their own.
    const known = input.base.kind === 'ubi' || input.base.kind === 'scratch';
    return [
      finding(
        input.finalLine,
        name,
        known
          ? 'the final stage sets no USER, so the image runs as root'
          : `the final stage sets no USER, so the image runs as the base image "${input.base.name}" does: as root unless it sets another user`,
        'USER 1001',
        known ? 'error' : 'warning',
      ),
    ];
  }
  const value = (last.getArgumentsContent() ?? '').trim();
  const user = value.split(':')[0] ?? '';
  if (user.includes('$')) {
    return [
      finding(
        lineOf(last),
        name,
        `USER "${value}" depends on a variable; its value cannot be predicted`,
        'USER 1001',
        'warning',
      ),
    ];
  }
  if (user === '' || user === 'root' || (/^\d+$/.test(user) && Number(user) === 0)) {
    return [finding(lineOf(last), name, `the last USER is "${value}", which is root`, 'USER 1001')];
  }
  return [];
}

/** The labels the final image sets, with the line that last set each; MAINTAINER counts. */
function labels(instructions: Instruction[]): Map<string, { value: string; line: number }> {
  const out = new Map<string, { value: string; line: number }>();
  for (const i of instructions) {
    if (i instanceof Label) {
      for (const p of i.getProperties()) {
        out.set(p.getName(), { value: p.getValue() ?? '', line: lineOf(i) });
      }
    } else if (i.getKeyword() === 'MAINTAINER') {
      out.set('maintainer', { value: i.getArgumentsContent() ?? '', line: lineOf(i) });
    }
  }
  return out;
}

/** Required labels (per policy), trademark use (container) and privileged run labels (connect-2018). */
export function labelRules(input: RuleInput, prohibited: RegExp): LintFinding[] {
  const set = labels(input.instructions);
  const container = input.policy === 'container';
  const required: readonly string[] = container
    ? REQUIRED_LABELS
    : ['vendor', 'release', 'version', 'name'];
  // A base lint cannot see may be the partner's own, with the partner's labels; any other base
  // either has no such label or has one describing the base, not the partner's product.
  const unknown = input.base.kind === 'unknown';
  const findings = required
    .filter((n) => (set.get(n)?.value ?? '').trim() === '')
    .map((n) =>
      finding(
        input.labelLine,
        container ? 'HasRequiredLabel' : `${n}_label_exists`,
        unknown
          ? `label \`${n}\` is not set; it passes only if the base image "${input.base.name}" sets it, for your product`
          : `label \`${n}\` is not set (a value inherited from the base image would describe the base, not your product)`,
        `LABEL ${n}="…"`,
        unknown ? 'warning' : 'error',
      ),
    );
  if (container) {
    for (const n of TRADEMARK_LABELS) {
      const label = set.get(n);
      if (label && matchesPattern(prohibited, label.value)) {
        findings.push(
          finding(
            label.line,
            'HasNoProhibitedLabels',
            `label \`${n}\`="${label.value}" uses a prohibited trademark`,
            `LABEL ${n}="…" with your own company or product name`,
          ),
        );
      }
    }
  } else {
    for (const [key, { value, line }] of set) {
      const opts = ['run', 'install'].includes(key.toLowerCase()) ? privilegedOptions(value) : [];
      if (opts.length > 0) {
        findings.push(
          finding(
            line,
            'not_running_privileged',
            `label \`${key}\` asks for ${opts.join(', ')}`,
            `LABEL ${key}="…" without ${opts.join(', ')}`,
          ),
        );
      }
    }
  }
  return findings;
}

/**
 * good_layer_count / LayerCountAcceptable: layer-creating instructions within the limit. Always a
 * warning: docker build and podman build make one layer per RUN/COPY/ADD, but buildah build
 * without `--layers` (and any `--squash`) commits the whole stage as one layer.
 */
export function layerRule(input: RuleInput, max: number): LintFinding[] {
  const name = ASSESSMENTS[input.policy].layers;
  const layering = input.instructions.filter((i) =>
    ['RUN', 'COPY', 'ADD'].includes(i.getKeyword()),
  );
  const fix =
    'combine RUN instructions with && and COPY files together, or use a multi-stage build';
  const builders = 'built with one layer per RUN/COPY/ADD (docker build, podman build)';
  const over = layering[max];
  if (over) {
    return [
      finding(
        lineOf(over),
        name,
        `${layering.length} layer-creating instructions (RUN/COPY/ADD): ${builders}, the image has more than the ${max} layers allowed even before the base image's own`,
        fix,
        'warning',
      ),
    ];
  }
  if (layering.length === max && input.base.kind !== 'scratch') {
    return [
      finding(
        input.finalLine,
        name,
        `${max} layer-creating instructions: ${builders}, the base image's layers take the image over ${max}`,
        fix,
        'warning',
      ),
    ];
  }
  return [];
}
