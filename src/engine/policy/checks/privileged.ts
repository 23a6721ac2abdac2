/** not_running_privileged: no privileged RUN/INSTALL labels, no file capabilities added. */
import type { CheckContext, CheckOutcome } from '../types.js';
import { matchedBase } from './base-image.js';
import { count, fail, labelsOf, listSome, pass } from './helpers.js';

/** Splits a shell-like command into words, honouring single and double quotes. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s"']+)/g;
  let last = -1;
  for (const m of command.matchAll(re)) {
    const part = m[1] ?? m[2] ?? m[3] ?? '';
    // Adjacent pieces (--opt="a b") form one word.
    const joined = m.index === last && words.length > 0 ? (words.pop() ?? '') + part : part;
    words.push(joined);
    last = m.index + m[0].length;
  }
  return words;
}

/** A runtime option split into its name and value (`--net=host`, `--net host`, `-v /:/h`). */
function options(words: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (!word.startsWith('-')) {
      continue;
    }
    const eq = word.indexOf('=');
    if (eq > 0) {
      out.push([word.slice(0, eq), word.slice(eq + 1)]);
    } else {
      out.push([word, words[i + 1] ?? '']);
    }
  }
  return out;
}

function mountsHostRoot(name: string, value: string): boolean {
  if (name === '-v' || name === '--volume') {
    return value.split(':')[0] === '/';
  }
  if (name === '--mount') {
    return value.split(',').some((kv) => /^(source|src)=\/$/.test(kv));
  }
  return false;
}

/** The options of a run command that would make the container privileged, as written. */
export function privilegedOptions(command: string): string[] {
  const found: string[] = [];
  for (const [name, value] of options(shellWords(command))) {
    const shown = `${name}=${value}`;
    if (name === '--privileged') {
      if (!/^false$/i.test(value)) {
        found.push('--privileged');
      }
    } else if (name === '--cap-add' && value.split(',').some((c) => /^(cap_)?all$/i.test(c))) {
      found.push(shown);
    } else if (['--pid', '--net', '--network'].includes(name) && value === 'host') {
      found.push(shown);
    } else if (mountsHostRoot(name, value)) {
      found.push(`${name} ${value}`);
    }
  }
  return found;
}

/** Runs the check: labels first (what `atomic run`-style tools execute), then capabilities. */
export function checkPrivileged(ctx: CheckContext): CheckOutcome {
  const bad: string[] = [];
  for (const [key, command] of Object.entries(labelsOf(ctx))) {
    if (!['run', 'install'].includes(key.toLowerCase())) {
      continue;
    }
    const opts = privilegedOptions(command);
    if (opts.length > 0) {
      bad.push(`label \`${key}\` asks for ${opts.join(', ')}`);
    }
  }
  if (bad.length > 0) {
    return fail(
      bad.join('; '),
      'remove --privileged, --cap-add=ALL, --pid=host, --net=host and mounts of the host / from the LABEL RUN/INSTALL command, e.g. LABEL RUN="podman run -d IMAGE"',
    );
  }
  const base = matchedBase(ctx)?.length ?? 1;
  const caps: string[] = [];
  for (const [path, e] of ctx.fs.walk('/')) {
    if (e.hasCapabilities && e.layer >= base) {
      caps.push(`${path} (layer ${e.layer + 1})`);
    }
  }
  if (caps.length > 0) {
    return fail(
      `file capabilities (security.capability) are set on ${count(caps.length, 'file')} added above the base image: ${listSome(caps)}`,
      'remove the RUN setcap … line; grant a capability the workload truly needs at deployment time instead',
    );
  }
  return pass(
    `no RUN/INSTALL label asks for privileges and no file added above the base image (${count(base, 'layer')}) carries capabilities`,
  );
}
