/**
 * Topic names, topic filters and shared-subscription filters (MQTT 5 §4.7, §4.8.2).
 *
 * Validation is a single pass over the UTF-16 code units with no allocation, because
 * `topicNameError` runs on every PUBLISH. UTF-8 well-formedness is checked by the codec.
 */

export interface TopicLimits {
  /** Levels allowed in a topic name or filter (for a shared filter, in the filter after the group). */
  maxTopicLevels?: number;
  /** Longest topic name or filter, in UTF-8 bytes. Default 65535, the most a UTF-8 string field can hold. */
  maxLength?: number;
}

export interface SharedFilter {
  group: string;
  filter: string;
}

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;
const NUL = 0x00;

const SHARE_PREFIX = '$share/';
const DEFAULT_MAX_LENGTH = 65535;

/** 'too long' when the UTF-8 encoding of `s` is longer than the limit, else undefined. */
function lengthError(s: string, limits: TopicLimits | undefined): string | undefined {
  const max = limits?.maxLength ?? DEFAULT_MAX_LENGTH;
  // One UTF-16 code unit encodes to 1..3 UTF-8 bytes, so the byte count is only needed in between.
  if (s.length <= max / 3) return undefined;
  if (s.length > max || Buffer.byteLength(s, 'utf8') > max) return 'too long';
  return undefined;
}

/** Undefined when `topic` is a valid topic name, else a short reason. */
export function topicNameError(topic: string, limits?: TopicLimits): string | undefined {
  if (topic.length === 0) return 'empty'; // [MQTT-4.7.3-1]
  const tooLong = lengthError(topic, limits);
  if (tooLong !== undefined) return tooLong;
  let levels = 1;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === SLASH) levels++;
    else if (c === PLUS || c === HASH)
      return 'wildcard in topic name'; // [MQTT-3.3.2-2] [MQTT-4.7.1-1]
    else if (c === NUL) return 'null character'; // [MQTT-4.7.3-2]
  }
  const maxLevels = limits?.maxTopicLevels;
  if (maxLevels !== undefined && levels > maxLevels) return 'too many levels';
  return undefined;
}

/** Undefined when filter[start..] is a valid non-shared filter, else a reason. */
function plainFilterError(filter: string, start: number, limits: TopicLimits | undefined): string | undefined {
  const end = filter.length;
  if (start === end) return 'empty'; // [MQTT-4.7.3-1]
  let levels = 1;
  for (let i = start; i < end; i++) {
    const c = filter.charCodeAt(i);
    if (c === SLASH) {
      levels++;
    } else if (c === PLUS) {
      // [MQTT-4.7.1-3] '+' occupies an entire level.
      if (i > start && filter.charCodeAt(i - 1) !== SLASH) return "'+' not alone in its level";
      if (i + 1 < end && filter.charCodeAt(i + 1) !== SLASH) return "'+' not alone in its level";
    } else if (c === HASH) {
      // [MQTT-4.7.1-2] '#' occupies an entire level and is the last one.
      if (i > start && filter.charCodeAt(i - 1) !== SLASH) return "'#' not alone in its level";
      if (i + 1 < end) {
        return filter.charCodeAt(i + 1) === SLASH ? "'#' not the last level" : "'#' not alone in its level";
      }
    } else if (c === NUL) {
      return 'null character'; // [MQTT-4.7.3-2]
    }
  }
  const maxLevels = limits?.maxTopicLevels;
  if (maxLevels !== undefined && levels > maxLevels) return 'too many levels';
  return undefined;
}

/** Undefined when `filter` is a valid topic filter (plain or `$share/{group}/{filter}`), else a reason. */
export function topicFilterError(filter: string, limits?: TopicLimits): string | undefined {
  if (filter.length === 0) return 'empty'; // [MQTT-4.7.3-1]
  const tooLong = lengthError(filter, limits);
  if (tooLong !== undefined) return tooLong;
  if (!filter.startsWith(SHARE_PREFIX)) return plainFilterError(filter, 0, limits);

  const groupStart = SHARE_PREFIX.length;
  const slash = filter.indexOf('/', groupStart); // so the group cannot contain '/' [MQTT-4.8.2-2]
  const groupEnd = slash === -1 ? filter.length : slash;
  if (groupEnd === groupStart) return 'empty share group'; // [MQTT-4.8.2-1]
  for (let i = groupStart; i < groupEnd; i++) {
    const c = filter.charCodeAt(i);
    if (c === PLUS || c === HASH) return 'wildcard in share group'; // [MQTT-4.8.2-2]
    if (c === NUL) return 'null character'; // [MQTT-4.7.3-2]
  }
  if (slash === -1) return 'missing filter after share group'; // [MQTT-4.8.2-2]
  const inner = plainFilterError(filter, slash + 1, limits);
  return inner === undefined ? undefined : `shared filter: ${inner}`;
}

/**
 * Splits `$share/{group}/{filter}`; undefined when `filter` does not start with "$share/".
 * Assumes `topicFilterError` accepted it (a malformed one without a filter part gives filter '').
 */
export function parseSharedFilter(filter: string): SharedFilter | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const slash = filter.indexOf('/', SHARE_PREFIX.length);
  if (slash === -1) return { group: filter.slice(SHARE_PREFIX.length), filter: '' };
  return { group: filter.slice(SHARE_PREFIX.length, slash), filter: filter.slice(slash + 1) };
}

/** Whether a (valid) filter contains '+' or '#'. */
export function isWildcardFilter(filter: string): boolean {
  for (let i = 0; i < filter.length; i++) {
    const c = filter.charCodeAt(i);
    if (c === PLUS || c === HASH) return true;
  }
  return false;
}

/**
 * The reference matcher: whether the (valid, non-shared) `filter` matches the topic name.
 * Simple on purpose; it is the oracle that `TopicTrie` is tested against.
 */
export function topicMatches(filter: string, topic: string): boolean {
  // [MQTT-4.7.2-1] A filter starting with a wildcard does not match a topic starting with '$'.
  if (topic.charCodeAt(0) === DOLLAR && (filter.charCodeAt(0) === PLUS || filter.charCodeAt(0) === HASH)) {
    return false;
  }
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    // [MQTT-4.7.1-2] '#' matches the remaining levels, including none: "sport/#" matches "sport".
    if (level === '#') return true;
    if (i >= t.length) return false;
    // [MQTT-4.7.1-3] '+' matches exactly one level, which may be empty.
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
