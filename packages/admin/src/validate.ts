import { invalidArgument } from './errors';

/** The log levels every node understands (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Largest page or list the API returns in one answer. */
export const MAX_PAGE_SIZE = 1000;
/** Page size when the caller asks for 0 (proto3's "not set"). */
export const DEFAULT_PAGE_SIZE = 100;

/** MQTT strings are length-prefixed with 16 bits. */
const MAX_TOPIC_BYTES = 65535;

export function requireClientId(clientId: string): string {
  if (clientId === '') throw invalidArgument('client_id is required');
  return clientId;
}

export function pageSize(requested: number, field = 'page_size'): number {
  if (!Number.isInteger(requested) || requested < 0) throw invalidArgument(`${field} must be a whole number`);
  if (requested > MAX_PAGE_SIZE)
    throw invalidArgument(`${field} ${requested} is above the maximum of ${MAX_PAGE_SIZE}`);
  return requested === 0 ? DEFAULT_PAGE_SIZE : requested;
}

export function isLogLevel(level: string): level is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(level);
}

export function requireLogLevel(level: string): LogLevel {
  if (!isLogLevel(level)) throw invalidArgument(`unknown log level '${level}': use one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

export function requireQos(qos: number): 0 | 1 | 2 {
  if (qos === 0 || qos === 1 || qos === 2) return qos;
  throw invalidArgument(`qos ${qos} is out of range: use 0, 1 or 2`);
}

function checkTopicString(kind: string, value: string): void {
  if (value === '') throw invalidArgument(`${kind} is required`);
  if (Buffer.byteLength(value, 'utf8') > MAX_TOPIC_BYTES) throw invalidArgument(`${kind} is longer than 65535 bytes`);
  if (value.includes('\u0000')) throw invalidArgument(`${kind} '${value}' contains a NUL character`);
}

/** A topic name as a PUBLISH carries it: no wildcards. */
export function requireTopicName(topic: string): string {
  checkTopicString('topic', topic);
  if (topic.includes('+') || topic.includes('#')) {
    throw invalidArgument(`topic '${topic}' contains a wildcard (+ or #): publish to a topic name, not a filter`);
  }
  return topic;
}

/** A topic filter as a SUBSCRIBE carries it: `+` fills a whole level, `#` only as the last level. */
export function requireTopicFilter(filter: string): string {
  checkTopicString('filter', filter);
  const levels = filter.split('/');
  levels.forEach((level, index) => {
    const wildcardMisused =
      (level.includes('+') && level !== '+') || (level.includes('#') && (level !== '#' || index !== levels.length - 1));
    if (wildcardMisused) {
      throw invalidArgument(
        `filter '${filter}' is not a valid topic filter: + and # must fill a whole level, # only the last`,
      );
    }
  });
  return filter;
}
