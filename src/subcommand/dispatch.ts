// The subcommand dispatcher with stout's rules: `prog` alone, `help`,
// `help X`, unknown names, then the subcommand's flags and its body.
import { FlagError, type Flags, type FlagSpecs, flagsUsage, loadFlags } from './flags';
import { writeAll } from './output';

export interface Subcommand<S extends FlagSpecs = FlagSpecs> {
  readonly name: string;
  readonly flags: S;
  /** Runs the subcommand; the promise's value is the exit code. */
  execute(flags: Flags<S>): number | Promise<number>;
  /**
   * Called instead of `execute` when the flags can't be loaded, for a
   * subcommand that must still account for the failure (launch's status
   * file). Returns the exit code.
   */
  onFlagError?(message: string, args: readonly string[], env: NodeJS.ProcessEnv): number;
}

/** Keeps a subcommand's flag types while listing it among the others. */
export function defineSubcommand<S extends FlagSpecs>(subcommand: Subcommand<S>): Subcommand {
  return subcommand as unknown as Subcommand;
}

export const FLAG_PREFIX = 'MESOS_CONTAINERIZER_';

export function usage(program: string, subcommands: readonly Subcommand[]): string {
  return (
    `Usage: ${program} <subcommand> [OPTIONS]\n\n` +
    'Available subcommands:\n' +
    '    help\n' +
    subcommands.map((subcommand) => `    ${subcommand.name}\n`).join('')
  );
}

export function subcommandUsage(program: string, subcommand: Subcommand): string {
  return `Usage: ${program} ${subcommand.name} [OPTIONS]\n\n${flagsUsage(subcommand.flags)}`;
}

/**
 * Dispatches `args` (argv without node and the script) to one of
 * `subcommands`. Returns the exit code.
 */
export async function dispatch(
  program: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  subcommands: readonly Subcommand[],
): Promise<number> {
  if (args.length === 0) {
    writeAll(2, usage(program, subcommands) + '\n');
    return 1;
  }
  let words = args;
  if (args[0] === 'help') {
    if (args.length === 1) {
      writeAll(1, usage(program, subcommands) + '\n');
      return 0;
    }
    // `prog help X ...` is `prog X --help ...`.
    words = [args[1]!, '--help', ...args.slice(2)];
  }
  const subcommand = subcommands.find((candidate) => candidate.name === words[0]);
  if (subcommand === undefined) {
    writeAll(2, `Subcommand '${words[0]}' is not available\n${usage(program, subcommands)}\n`);
    return 1;
  }
  let flags: Flags<FlagSpecs>;
  try {
    flags = loadFlags(subcommand.flags, words.slice(1), env, FLAG_PREFIX);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    const message = `Failed to parse the flags: ${error.message}`;
    if (subcommand.onFlagError !== undefined) return subcommand.onFlagError(message, words.slice(1), env);
    writeAll(2, message + '\n');
    return 1;
  }
  if (flags.help) {
    writeAll(1, subcommandUsage(program, subcommand) + '\n');
    return 0;
  }
  return subcommand.execute(flags);
}
