/**
 * Reading one setting's value from text (a flag or an environment variable) or from a JSON value
 * (the config file), and checking it against the setting's type. Problems are returned as text
 * without the source; the loader prefixes the flag, variable or file key.
 */
import { PORT_OFF, type ValueType } from './settings';

export type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

const ok = (value: unknown): Parsed => ({ ok: true, value });
const fail = (problem: string): Parsed => ({ ok: false, problem });

/** `a`, `a or b`, `a, b or c`. */
export function listOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}

/** What a valid value looks like, for error messages and help: `0-65535`, `0, 1 or 2`. */
export function expected(type: ValueType): string {
  switch (type.kind) {
    case 'integer':
      if (type.max - type.min <= 2) {
        const values: string[] = [];
        for (let v = type.min; v <= type.max; v++) values.push(String(v));
        return listOr(values);
      }
      return `${type.min}-${type.max}`;
    case 'port':
      return type.off ? `0-65535 or ${PORT_OFF}` : '0-65535';
    case 'choice':
      return listOr(type.choices);
    case 'boolean':
      return 'true or false';
    case 'string':
      return type.expected;
  }
}

const DIGITS = /^\d+$/;

function inRange(type: ValueType & { kind: 'integer' | 'port' }, n: number): Parsed {
  const [min, max] = type.kind === 'port' ? [0, 65_535] : [type.min, type.max];
  return n >= min && n <= max ? ok(n) : fail(`${n} is out of range (expected ${expected(type)})`);
}

/** A value written as text: a command-line flag or an environment variable. */
export function parseText(type: ValueType, raw: string): Parsed {
  const text = raw.trim();
  switch (type.kind) {
    case 'integer':
      if (!DIGITS.test(text)) return fail(`${JSON.stringify(raw)} is not a whole number (expected ${expected(type)})`);
      return inRange(type, Number(text));
    case 'port':
      if (type.off && text.toLowerCase() === PORT_OFF) return ok(PORT_OFF);
      if (!DIGITS.test(text)) return fail(`${JSON.stringify(raw)} is not a port number (expected ${expected(type)})`);
      return inRange(type, Number(text));
    case 'choice':
      return type.choices.includes(text)
        ? ok(text)
        : fail(`${JSON.stringify(raw)} is not valid (expected ${expected(type)})`);
    case 'boolean':
      switch (text.toLowerCase()) {
        case 'true':
        case '1':
          return ok(true);
        case 'false':
        case '0':
          return ok(false);
        default:
          return fail(`${JSON.stringify(raw)} is not a boolean (expected ${expected(type)})`);
      }
    case 'string':
      if (type.pattern.test(raw)) return ok(raw);
      // A secret is never repeated back (error messages end up in logs and terminals).
      return fail(
        `${type.unit === 'token' ? 'the value given' : JSON.stringify(raw)} is not valid (expected ${expected(type)})`,
      );
  }
}

const jsonType = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

const wrongType = (value: unknown, wanted: string, type: ValueType): Parsed =>
  fail(`${JSON.stringify(value)} is ${jsonType(value)}, not ${wanted} (expected ${expected(type)})`);

/** A value from the JSON config file: the JSON type must match (no "1883" for a port). */
export function parseJson(type: ValueType, value: unknown): Parsed {
  switch (type.kind) {
    case 'integer':
    case 'port':
      if (type.kind === 'port' && type.off && value === PORT_OFF) return ok(PORT_OFF);
      if (typeof value !== 'number') return wrongType(value, 'a number', type);
      if (!Number.isInteger(value)) return fail(`${value} is not a whole number (expected ${expected(type)})`);
      return inRange(type, value);
    case 'choice':
      if (typeof value !== 'string') return wrongType(value, 'a string', type);
      return parseText(type, value);
    case 'boolean':
      return typeof value === 'boolean' ? ok(value) : wrongType(value, 'a boolean', type);
    case 'string':
      if (typeof value !== 'string') return wrongType(value, 'a string', type);
      return parseText(type, value);
  }
}
