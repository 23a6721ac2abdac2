/**
 * The build stages of a Dockerfile as the linter sees them: the final stage, the earlier stages it
 * builds on through `FROM alias`, and the base image at the bottom of that chain with simple ARG
 * substitution applied.
 */
import { Arg, DockerfileParser, From } from 'dockerfile-ast';
import type { Instruction } from 'dockerfile-ast';

/** One `FROM … [AS alias]` and the instructions under it. */
export interface Stage {
  from: From;
  /** The FROM argument with ARGs substituted. */
  image: string;
  alias: string | undefined;
  instructions: Instruction[];
}

/** The stages the final image is made of, and where its base image comes from. */
export interface Lineage {
  /** From the stage whose FROM names an external image up to the final stage. */
  chain: Stage[];
  /** The final stage. */
  final: Stage;
  /** The external base image at the bottom of the chain, after ARG substitution. */
  base: string;
  /** ARGs used in the base reference that have no value. */
  unresolved: string[];
}

/** The 1-based line an instruction starts on. */
export function lineOf(i: Instruction): number {
  return i.getRange().start.line + 1;
}

/** Substitutes `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME:+alt}`; reports unknown names. */
export function substitute(
  text: string,
  vars: ReadonlyMap<string, string>,
  unresolved: string[] = [],
): string {
  return text.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (
      _all,
      braced: string | undefined,
      op: string | undefined,
      word: string | undefined,
      bare: string | undefined,
    ) => {
      const name = braced ?? bare ?? '';
      const value = vars.get(name);
      const set = value !== undefined && value !== '';
      if (op === '-') {
        return set ? value : (word ?? '');
      }
      if (op === '+') {
        return set ? (word ?? '') : '';
      }
      if (value === undefined || value === '') {
        unresolved.push(name);
      }
      return value ?? '';
    },
  );
}

/** ARGs declared before the first FROM, with their defaults overridden by `buildArgs`. */
function globalArgs(
  instructions: Instruction[],
  buildArgs: Readonly<Record<string, string>>,
): Map<string, string> {
  const vars = new Map<string, string>();
  for (const ins of instructions) {
    if (ins instanceof From) {
      break;
    }
    if (ins instanceof Arg) {
      const prop = ins.getProperty();
      const name = prop?.getName();
      if (name) {
        const given = buildArgs[name] ?? prop?.getValue() ?? undefined;
        if (given !== undefined && given !== null) {
          vars.set(name, substitute(given, vars));
        } else if (!vars.has(name)) {
          vars.set(name, '');
        }
      }
    }
  }
  return vars;
}

/** Splits the Dockerfile into stages and follows the final one down to its external base. */
export function parseLineage(
  text: string,
  buildArgs: Readonly<Record<string, string>> = {},
): Lineage | undefined {
  const instructions = DockerfileParser.parse(text).getInstructions();
  const vars = globalArgs(instructions, buildArgs);
  const stages: Stage[] = [];
  const unresolvedByStage = new Map<Stage, string[]>();
  for (const ins of instructions) {
    if (ins instanceof From) {
      const unresolved: string[] = [];
      const raw = ins.getArguments()[0]?.getValue() ?? '';
      const stage: Stage = {
        from: ins,
        image: substitute(raw, vars, unresolved),
        alias: ins.getBuildStage()?.toLowerCase() ?? undefined,
        instructions: [],
      };
      unresolvedByStage.set(stage, unresolved);
      stages.push(stage);
    } else {
      stages[stages.length - 1]?.instructions.push(ins);
    }
  }
  const final = stages[stages.length - 1];
  if (!final) {
    return undefined;
  }
  const chain: Stage[] = [final];
  for (let current = final; ;) {
    const at = stages.indexOf(current);
    const parent = stages
      .slice(0, at)
      .reverse()
      .find((s) => s.alias !== undefined && s.alias === current.image.toLowerCase());
    if (!parent) {
      break;
    }
    chain.unshift(parent);
    current = parent;
  }
  const bottom = chain[0] ?? final;
  return { chain, final, base: bottom.image, unresolved: unresolvedByStage.get(bottom) ?? [] };
}
