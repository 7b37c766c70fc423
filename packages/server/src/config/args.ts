/**
 * Command-line flags of `flockmq start`. A small parser rather than node:util parseArgs so that
 * every mistake gets a message naming the flag and the fix.
 *
 *   --port 1883   --port=1883          value flags
 *   --retain-available                 boolean flags: true
 *   --no-retain-available              false
 *   --retain-available=false           either, explicitly
 *
 * A flag given twice: the last one wins.
 */
import { FlockError } from '@flockmq/protocol';
import { didYouMean } from '../suggest';
import { CONFIG_OPTION, SETTINGS, settingByFlag, type Setting } from './settings';
import { expected } from './values';

export interface FlagValue {
  readonly setting: Setting;
  /** The value as written; "true"/"false" for a bare or --no- boolean flag. */
  readonly text: string;
}

export interface ParsedFlags {
  readonly values: readonly FlagValue[];
  /** The last --config given. */
  readonly configPath: string | undefined;
}

export const configError = (message: string): FlockError => new FlockError('FLOCK_ERR_CONFIG_INVALID', message);

const ALL_FLAGS: readonly string[] = [CONFIG_OPTION.flag, ...SETTINGS.map((s) => s.flag)];

function unknownOption(token: string): FlockError {
  const option = token.split('=')[0] ?? token;
  const name = option.replace(/^-+/, '');
  if (name.startsWith('no-') && settingByFlag.has(name.slice(3))) {
    return configError(`unknown option ${option} (--${name.slice(3)} is not a true/false option)`);
  }
  return configError(`unknown option ${option}${didYouMean(name, ALL_FLAGS, (f) => `--${f}`)}`);
}

export function parseFlags(argv: readonly string[]): ParsedFlags {
  const values: FlagValue[] = [];
  let configPath: string | undefined;

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (!token.startsWith('--') || token === '--') {
      if (token.startsWith('-') && token !== '-' && token !== '--') throw unknownOption(token);
      const positional = token === '--' ? argv[i + 1] : token;
      if (positional === undefined) break;
      throw configError(`unexpected argument ${JSON.stringify(positional)} (options start with --, see --help)`);
    }

    const eq = token.indexOf('=');
    const name = eq === -1 ? token.slice(2) : token.slice(2, eq);
    const inline = eq === -1 ? undefined : token.slice(eq + 1);

    // --no-<boolean>
    const negated = name.startsWith('no-') ? settingByFlag.get(name.slice(3)) : undefined;
    if (negated !== undefined && negated.spec.type.kind === 'boolean' && inline === undefined) {
      values.push({ setting: negated, text: 'false' });
      continue;
    }

    const setting = settingByFlag.get(name);
    if (setting === undefined && name !== CONFIG_OPTION.flag) throw unknownOption(token);

    let text = inline;
    if (text === undefined && setting?.spec.type.kind === 'boolean') text = 'true';
    if (text === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        const wanted = setting === undefined ? `a ${CONFIG_OPTION.unit}` : expected(setting.spec.type);
        throw configError(`--${name}: missing value (expected ${wanted})`);
      }
      text = next;
      i++;
    }

    if (setting === undefined) configPath = text;
    else values.push({ setting, text });
  }

  return { values, configPath };
}
