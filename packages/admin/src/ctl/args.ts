/**
 * Command-line parsing for `flockmq ctl`. Every option has one meaning across all commands, so the
 * whole command line is parsed in one pass (global options may come before or after the command)
 * and each command then checks it was only given its own options.
 */
import { closest } from './suggest';

/** A mistake on the command line: exit code 2, and one line telling how to fix it. */
export class UsageError extends Error {}

interface OptionSpec {
  /** Takes a value (`--opt V` or `--opt=V`); otherwise a flag. */
  value: boolean;
  /** May be given several times (values are collected). */
  repeatable?: boolean;
}

export const GLOBAL_OPTIONS = ['server', 'token', 'tls', 'ca', 'cert', 'key', 'json', 'timeout', 'help'] as const;

const OPTIONS: Record<string, OptionSpec> = {
  // Global.
  server: { value: true },
  token: { value: true },
  tls: { value: false },
  ca: { value: true },
  cert: { value: true },
  key: { value: true },
  json: { value: false },
  timeout: { value: true },
  help: { value: false },
  // Per command.
  node: { value: true },
  prefix: { value: true },
  username: { value: true },
  limit: { value: true },
  'client-prefix': { value: true },
  filter: { value: true },
  qos: { value: true },
  retain: { value: false },
  'content-type': { value: true },
  expiry: { value: true },
  'user-property': { value: true, repeatable: true },
  rate: { value: true },
  'server-reference': { value: true },
};

const SHORT: Record<string, string> = { h: 'help' };

export interface ParsedArgs {
  positionals: string[];
  /** Option name → values (flags get one empty string per occurrence). */
  options: Map<string, string[]>;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('-') || token === '-') {
      positionals.push(token);
      continue;
    }
    const long = token.startsWith('--');
    const body = long ? token.slice(2) : token.slice(1);
    const eq = body.indexOf('=');
    const given = eq === -1 ? body : body.slice(0, eq);
    const name = long ? given : SHORT[given];
    const spec = name === undefined ? undefined : OPTIONS[name];
    if (name === undefined || spec === undefined) {
      // A negative number is a value, not an option: let the command reject it with a clear message.
      if (/^-\d/.test(token)) {
        positionals.push(token);
        continue;
      }
      const match = closest(given, Object.keys(OPTIONS));
      const hint = match === undefined ? ": see 'flockmq ctl --help'" : `: did you mean '--${match}'?`;
      throw new UsageError(`unknown option '${token}'${hint}`);
    }
    let value = '';
    if (spec.value) {
      if (eq !== -1) value = body.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw new UsageError(`option --${name} needs a value`);
    } else if (eq !== -1) {
      throw new UsageError(`option --${name} takes no value`);
    }
    const values = options.get(name) ?? [];
    if (values.length > 0 && spec.value && !spec.repeatable) {
      throw new UsageError(`option --${name} is given twice`);
    }
    values.push(value);
    options.set(name, values);
  }
  return { positionals, options };
}

/** Reads options checked against what the running command accepts. */
export class Options {
  constructor(private readonly parsed: ParsedArgs) {}

  /** Fails on an option the command does not take (global options are always allowed). */
  allowOnly(command: string, allowed: readonly string[]): void {
    for (const name of this.parsed.options.keys()) {
      if (!(GLOBAL_OPTIONS as readonly string[]).includes(name) && !allowed.includes(name)) {
        throw new UsageError(`'${command}' takes no option --${name}: see 'flockmq ctl ${command} --help'`);
      }
    }
  }

  has(name: string): boolean {
    return this.parsed.options.has(name);
  }

  string(name: string): string | undefined {
    return this.parsed.options.get(name)?.[0];
  }

  all(name: string): string[] {
    return this.parsed.options.get(name) ?? [];
  }

  /** A whole number from `min` to `max`, or undefined if the option is absent. */
  integer(name: string, min: number, max: number): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    return parseWholeNumber(raw, `--${name}`, min, max);
  }
}

export function parseWholeNumber(raw: string, what: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`invalid number for ${what}: '${raw}' (expected a whole number from ${min} to ${max})`);
  }
  return value;
}
