/** Rendering values for humans (tables) and for scripts (--json). */
/** `2025-06-01T12:00:00Z` from milliseconds since the epoch, or `-` for 0 (unset). */
export function isoTime(ms: number): string {
  return ms === 0 ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `3d4h`, `2h05m`, `4m09s`, `12s`: two units are enough to read an uptime at a glance. */
export function duration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  if (days > 0) return `${days}d${hours}h`;
  if (hours > 0) return `${hours}h${two(minutes)}m`;
  if (minutes > 0) return `${minutes}m${two(seconds)}s`;
  return `${seconds}s`;
}

export const yesNo = (value: boolean): string => (value ? 'yes' : 'no');

export const orDash = (value: string): string => (value === '' ? '-' : value);

/** The payload as text when it is printable UTF-8 (cut to `max` characters), else its size. */
export function payloadPreview(payload: Buffer, max = 60): string {
  const text = payload.toString('utf8');
  const printable = Buffer.from(text, 'utf8').equals(payload) && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text);
  if (!printable) return `<${payload.length} bytes>`;
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/**
 * A response as --json prints it: the API's camelCase names and bytes as base64 (as in the proto3
 * JSON mapping), so scripts get the same document the API describes.
 */
export function jsonView(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(jsonView);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, jsonView(inner)]));
}
