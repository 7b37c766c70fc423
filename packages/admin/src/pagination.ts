import { invalidArgument } from './errors';

/**
 * Stateless pagination over lists merged from several nodes. Every list is sorted by a key of
 * strings (client id, node id, …); a page token is the key of the last entry returned, so the next
 * page starts strictly after it. Nothing is kept on the server between pages, any node can answer
 * the next page, and entries that come or go between pages never cause duplicates.
 */
export type SortKey = readonly string[];

/** Orders by UTF-16 code units, not locale: every node and every run must agree on the order. */
export function compareKeys(a: SortKey, b: SortKey): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

interface TokenBody {
  /** Which list the token belongs to, so a clients token is not accepted for subscriptions. */
  l: string;
  /** Key of the last entry returned. */
  a: string[];
}

export function encodePageToken(list: string, after: SortKey): string {
  const body: TokenBody = { l: list, a: [...after] };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** The key to continue after, or undefined for the first page (empty token). */
export function decodePageToken(list: string, token: string, keyLength: number): SortKey | undefined {
  if (token === '') return undefined;
  const bad = invalidArgument('page_token is not valid: pass the next_page_token of the previous page unchanged');
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad;
  }
  if (typeof body !== 'object' || body === null) throw bad;
  const { l, a } = body as Partial<TokenBody>;
  const keyOk = Array.isArray(a) && a.length === keyLength && a.every((part) => typeof part === 'string');
  if (l !== list || !keyOk) throw bad;
  return a;
}

export interface Page<T> {
  items: T[];
  /** Key of the last item when more items follow; undefined on the last page. */
  nextAfter: SortKey | undefined;
}

/**
 * Sorts, skips everything up to `after`, and cuts one page. `items` may hold more than a page
 * (each node sends up to a page of its own): whatever is cut off comes again on the next page.
 */
export function cutPage<T>(items: T[], keyOf: (item: T) => SortKey, after: SortKey | undefined, size: number): Page<T> {
  const sorted = items
    .filter((item) => after === undefined || compareKeys(keyOf(item), after) > 0)
    .sort((x, y) => compareKeys(keyOf(x), keyOf(y)));
  const page = sorted.slice(0, size);
  const last = page[page.length - 1];
  return { items: page, nextAfter: sorted.length > size && last !== undefined ? keyOf(last) : undefined };
}
