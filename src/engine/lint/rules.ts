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
  /** 1-based line of the instruction to change (the final FROM when something is absent). */
  line: number;
  assessment: string;
  severity: 'error' | 'warning';
  message: string;
  suggestion: string;
}

/** What the rules look at: the final image's instructions, oldest stage first. */
export interface RuleInput {
  policy: PolicyId;
  instructions: Instruction[];
  /** Line of the final stage's FROM, for things that are absent. */
  finalLine: number;
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

/** The destination of a COPY/ADD, shell or JSON form. */
function destination(i: Copy | Add): string {
  const json = i.getJSONStrings();
  if (json.length > 0) {
    return json[json.length - 1]?.getJSONValue() ?? '';
  }
  const args = i.getArguments();
  return args[args.length - 1]?.getValue() ?? '';
}

function joinDir(dir: string, path: string): string {
  return path.startsWith('/') ? path : `${dir.replace(/\/$/, '')}/${path}`;
}

/** has_licenses / HasLicense: something puts a file under /licenses. */
export function licenseRule(input: RuleInput): LintFinding[] {
  const name = ASSESSMENTS[input.policy].license;
  let workdir = '/';
  let mkdirLine: number | undefined;
  for (const i of input.instructions) {
    const keyword = i.getKeyword();
    if (keyword === 'WORKDIR') {
      workdir = joinDir(workdir, i.getArgumentsContent() ?? '/');
    } else if (
      (i instanceof Copy || i instanceof Add) &&
      LICENSES.test(joinDir(workdir, destination(i)))
    ) {
      return [];
    } else if (keyword === 'RUN') {
      const run = i.getArgumentsContent() ?? '';
      if (WRITES_LICENSES.test(run)) {
        return [];
      }
      if (MKDIR_LICENSES.test(run)) {
        mkdirLine = lineOf(i);
      }
    }
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
    return [
      finding(
        input.finalLine,
        name,
        'the final stage sets no USER, so the image runs as root',
        'USER 1001',
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
  const findings = required
    .filter((n) => (set.get(n)?.value ?? '').trim() === '')
    .map((n) =>
      finding(
        input.finalLine,
        container ? 'HasRequiredLabel' : `${n}_label_exists`,
        `label \`${n}\` is not set (a value inherited from the base image would describe the base, not your product)`,
        `LABEL ${n}="…"`,
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

/** good_layer_count / LayerCountAcceptable: layer-creating instructions within the limit. */
export function layerRule(input: RuleInput, max: number): LintFinding[] {
  const name = ASSESSMENTS[input.policy].layers;
  const layering = input.instructions.filter((i) =>
    ['RUN', 'COPY', 'ADD'].includes(i.getKeyword()),
  );
  const fix =
    'combine RUN instructions with && and COPY files together, or use a multi-stage build';
  const over = layering[max];
  if (over) {
    return [
      finding(
        lineOf(over),
        name,
        `${layering.length} layer-creating instructions (RUN/COPY/ADD), more than the ${max} layers allowed even before the base image's own`,
        fix,
      ),
    ];
  }
  if (layering.length === max) {
    return [
      finding(
        input.finalLine,
        name,
        `${max} layer-creating instructions; with the base image's layers the image will exceed ${max}`,
        fix,
        'warning',
      ),
    ];
  }
  return [];
}
