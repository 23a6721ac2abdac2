/**
 * `hallmark lint`: predicts, from a Dockerfile alone, the assessments an image built from it
 * will fail, with the line to change. Parsing is done by `dockerfile-ast`.
 */
import { DockerfileParser, From, Label } from 'dockerfile-ast';
import type { Instruction } from 'dockerfile-ast';
import { REQUIRED_LABELS } from '../policy/container.js';
import type { PolicyId } from '../policy/types.js';

/** One predicted failure. */
export interface LintFinding {
  /** 1-based line of the instruction to change (the final FROM when something is absent). */
  line: number;
  assessment: string;
  severity: 'error' | 'warning';
  message: string;
  suggestion: string;
}

/** Options of the linter. */
export interface LintOptions {
  policy?: PolicyId;
  /** Base images considered approved (default: Red Hat registries and UBI). */
  approvedBases?: RegExp[];
}

/** Default approved bases: Red Hat's registries. */
export const DEFAULT_APPROVED_BASES = [
  /^registry\.access\.redhat\.com\//,
  /^registry\.redhat\.io\//,
  /^registry\.connect\.redhat\.com\//,
];

const NAMES: Record<
  PolicyId,
  Record<'license' | 'base' | 'user' | 'layers' | 'privileged', string>
> = {
  'connect-2018': {
    license: 'has_licenses',
    base: 'is_rhel',
    user: 'not_running_as_root',
    layers: 'good_layer_count',
    privileged: 'not_running_privileged',
  },
  container: {
    license: 'HasLicense',
    base: 'BasedOnUbi',
    user: 'RunAsNonRoot',
    layers: 'LayerCountAcceptable',
    privileged: 'not_running_privileged',
  },
};

interface Stage {
  from: From;
  alias: string | undefined;
  instructions: Instruction[];
}

const lineOf = (i: Instruction): number => (i.getRange().start.line ?? 0) + 1;

function stages(instructions: Instruction[]): Stage[] {
  const out: Stage[] = [];
  for (const ins of instructions) {
    if (ins instanceof From) {
      out.push({
        from: ins,
        alias: ins.getBuildStage()?.toLowerCase() ?? undefined,
        instructions: [],
      });
    } else {
      out[out.length - 1]?.instructions.push(ins);
    }
  }
  return out;
}

/** The chain of stages the final stage builds on (final first), following `FROM alias`. */
function lineage(all: Stage[]): Stage[] {
  const chain: Stage[] = [];
  let current = all[all.length - 1];
  while (current && !chain.includes(current)) {
    chain.push(current);
    const image = current.from.getImage()?.toLowerCase();
    current = all.find((s) => s.alias !== undefined && s.alias === image);
  }
  return chain;
}

/** Lints Dockerfile text. */
export function lintDockerfile(text: string, opts: LintOptions = {}): LintFinding[] {
  const policy = opts.policy ?? 'connect-2018';
  const names = NAMES[policy];
  const all = stages(DockerfileParser.parse(text).getInstructions());
  const chain = lineage(all);
  const final = chain[0];
  if (!final) {
    return [
      {
        line: 1,
        assessment: names.base,
        severity: 'error',
        message: 'the Dockerfile has no FROM instruction',
        suggestion: 'start with FROM registry.access.redhat.com/ubi9/ubi-minimal',
      },
    ];
  }
  const root = chain[chain.length - 1] ?? final;
  const instructions = [...chain].reverse().flatMap((s) => s.instructions);
  const finalLine = lineOf(final.from);
  const findings: LintFinding[] = [];
  const base = root.from.getImage() ?? '';
  const approved = opts.approvedBases ?? DEFAULT_APPROVED_BASES;
  if (!approved.some((re) => re.test(base))) {
    findings.push({
      line: lineOf(root.from),
      assessment: names.base,
      severity: 'error',
      message: `base image "${base}" is not an approved Red Hat base image`,
      suggestion: 'FROM registry.access.redhat.com/ubi9/ubi-minimal',
    });
  }
  findings.push(...labelFindings(instructions, policy, finalLine));
  findings.push(...userFindings(final.instructions, names.user, finalLine));
  const copiesLicense = instructions.some((i) => {
    const k = i.getKeyword();
    const args = i.getArguments().map((a) => a.getValue());
    return (
      ((k === 'COPY' || k === 'ADD') && /^\/licenses(\/|$)/.test(args[args.length - 1] ?? '')) ||
      (k === 'RUN' &&
        /\/licenses\b/.test(i.getArgumentsContent() ?? '') &&
        /\b(cp|install|mv|curl|wget|tee|cat|echo)\b/.test(i.getArgumentsContent() ?? ''))
    );
  });
  if (!copiesLicense) {
    findings.push({
      line: finalLine,
      assessment: names.license,
      severity: 'error',
      message: 'no licence is copied into /licenses',
      suggestion: 'COPY LICENSE /licenses/',
    });
  }
  const layers = instructions.filter((i) => ['RUN', 'COPY', 'ADD'].includes(i.getKeyword())).length;
  if (layers > 40) {
    findings.push({
      line: finalLine,
      assessment: names.layers,
      severity: 'warning',
      message: `${layers} layer-creating instructions; the base image adds its own and the limit is 40`,
      suggestion: 'combine RUN instructions with && or use a multi-stage build',
    });
  }
  return findings.sort((a, b) => a.line - b.line);
}

function labelFindings(
  instructions: Instruction[],
  policy: PolicyId,
  finalLine: number,
): LintFinding[] {
  const set = new Map<string, string>();
  for (const i of instructions) {
    if (i instanceof Label) {
      for (const p of i.getProperties()) {
        set.set(p.getName(), p.getUnescapedValue() ?? '');
      }
    } else if (i.getKeyword() === 'MAINTAINER') {
      set.set('maintainer', i.getArgumentsContent() ?? '');
    }
  }
  const required =
    policy === 'container' ? [...REQUIRED_LABELS] : ['vendor', 'release', 'version', 'name'];
  return required
    .filter((n) => (set.get(n) ?? '').trim() === '')
    .map((n) => ({
      line: finalLine,
      assessment: policy === 'container' ? 'HasRequiredLabel' : `${n}_label_exists`,
      severity: 'error' as const,
      message: `label \`${n}\` is not set`,
      suggestion: `LABEL ${n}="…"`,
    }));
}

function userFindings(
  instructions: Instruction[],
  assessment: string,
  finalLine: number,
): LintFinding[] {
  const users = instructions.filter((i) => i.getKeyword() === 'USER');
  const last = users[users.length - 1];
  if (!last) {
    return [
      {
        line: finalLine,
        assessment,
        severity: 'error',
        message: 'the final stage sets no USER, so the image runs as root',
        suggestion: 'USER 1001',
      },
    ];
  }
  const user = (last.getArgumentsContent() ?? '').trim().split(':')[0] ?? '';
  if (user === 'root' || user === '0' || user === '') {
    return [
      {
        line: lineOf(last),
        assessment,
        severity: 'error',
        message: `the last USER is "${last.getArgumentsContent() ?? ''}", which is root`,
        suggestion: 'USER 1001',
      },
    ];
  }
  return [];
}
