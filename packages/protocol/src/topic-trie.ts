/**
 * The subscription index of the publish path: topic filter → value, finding every filter that
 * matches a topic name.
 *
 * Filters without wildcards live in a plain Map and are found by one lookup of the topic itself
 * (EMQX keeps such routes out of its trie in the same way). Only wildcard filters go into the trie.
 * The walk never splits the topic: it carries the offset where the next level starts and slices a
 * level only to look it up among a node's literal children. It is iterative over a stack kept on
 * the instance, so a match allocates nothing but those slices and deep filters cannot overflow the
 * call stack. Each trie node sits at one depth and is reached by one path, so a match visits each
 * node at most once, and each stored filter at most once.
 */
import { FlockError } from './errors';
import { isWildcardFilter } from './topic';

const DOLLAR = 0x24;

class TrieNode<V> {
  /** Children by literal level. */
  children: Map<string, TrieNode<V>> | undefined;
  /** The '+' child. */
  plus: TrieNode<V> | undefined;
  /** The '#' child, always a leaf holding a filter. */
  hash: TrieNode<V> | undefined;
  /** The filter stored at this node, or undefined when none (a value may itself be undefined). */
  filter: string | undefined;
  value: V | undefined;

  constructor() {
    this.children = undefined;
    this.plus = undefined;
    this.hash = undefined;
    this.filter = undefined;
    this.value = undefined;
  }

  /** Whether the node holds nothing; `removeChild` drops a children map once it empties. */
  isEmpty(): boolean {
    return (
      this.filter === undefined && this.plus === undefined && this.hash === undefined && this.children === undefined
    );
  }

  child(level: string): TrieNode<V> | undefined {
    if (level === '+') return this.plus;
    if (level === '#') return this.hash;
    return this.children?.get(level);
  }

  addChild(level: string): TrieNode<V> {
    const node = new TrieNode<V>();
    if (level === '+') this.plus = node;
    else if (level === '#') this.hash = node;
    else (this.children ??= new Map()).set(level, node);
    return node;
  }

  removeChild(level: string): void {
    if (level === '+') this.plus = undefined;
    else if (level === '#') this.hash = undefined;
    else if (this.children !== undefined) {
      this.children.delete(level);
      if (this.children.size === 0) this.children = undefined;
    }
  }
}

/**
 * A map from topic filter to a value, that can find every filter matching a topic name.
 *
 * Filters are stored as given; callers validate them first and store a `$share/{group}/{filter}`
 * subscription under its inner filter. The only filter refused is one with a '#' level before the
 * last, which has no place in the trie.
 */
export class TopicTrie<V> {
  /** Filters without wildcards, keyed by the filter (equal to the topics they match). */
  private readonly exact = new Map<string, V>();
  private readonly root = new TrieNode<V>();
  private wildcardCount = 0;
  /** Scratch stack of the match walk: nodes to visit and where the topic's next level starts. */
  private readonly stackNodes: TrieNode<V>[] = [];
  private readonly stackStarts: number[] = [];
  /** Set while a match uses the scratch stack, so a match started from `visit` uses its own. */
  private matching = false;

  /** Number of filters stored. */
  get size(): number {
    return this.exact.size + this.wildcardCount;
  }

  get(filter: string): V | undefined {
    if (!isWildcardFilter(filter)) return this.exact.get(filter);
    return this.find(filter)?.value;
  }

  has(filter: string): boolean {
    if (!isWildcardFilter(filter)) return this.exact.has(filter);
    return this.find(filter) !== undefined;
  }

  set(filter: string, value: V): void {
    if (!isWildcardFilter(filter)) {
      this.exact.set(filter, value);
      return;
    }
    const levels = filter.split('/');
    let node = this.root;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i] as string;
      if (level === '#' && i !== levels.length - 1) {
        // [MQTT-4.7.1-2]
        throw new FlockError('FLOCK_ERR_TOPIC_FILTER_INVALID', `'#' not the last level of filter: ${filter}`);
      }
      node = node.child(level) ?? node.addChild(level);
    }
    if (node.filter === undefined) {
      node.filter = filter;
      this.wildcardCount++;
    }
    node.value = value;
  }

  /** Removes the filter and prunes nodes left empty; false when it was not stored. */
  delete(filter: string): boolean {
    if (!isWildcardFilter(filter)) return this.exact.delete(filter);
    const levels = filter.split('/');
    const path: TrieNode<V>[] = [this.root];
    let node: TrieNode<V> | undefined = this.root;
    for (const level of levels) {
      node = node.child(level);
      if (node === undefined) return false;
      path.push(node);
    }
    if (node.filter === undefined) return false;
    node.filter = undefined;
    node.value = undefined;
    this.wildcardCount--;
    for (let i = levels.length; i > 0 && (path[i] as TrieNode<V>).isEmpty(); i--) {
      (path[i - 1] as TrieNode<V>).removeChild(levels[i - 1] as string);
    }
    return true;
  }

  /**
   * Calls `visit` once per stored filter that matches the topic name, in no particular order.
   * Honours [MQTT-4.7.2-1] (a '$' topic is not matched by a filter starting with a wildcard) and
   * [MQTT-4.7.1-2] ('#' also matches the parent level: "sport/#" matches "sport"). `visit` may
   * change the trie: a filter deleted before its turn is not visited, one added may or may not be.
   */
  match(topic: string, visit: (value: V, filter: string) => void): void {
    if (this.exact.size > 0) {
      const value = this.exact.get(topic);
      if (value !== undefined || this.exact.has(topic)) visit(value as V, topic);
    }
    if (this.wildcardCount === 0) return;

    const reentrant = this.matching;
    const nodes: TrieNode<V>[] = reentrant ? [] : this.stackNodes;
    // Where in the topic the level below each node starts; past the end once every level is used.
    const starts: number[] = reentrant ? [] : this.stackStarts;
    this.matching = true;
    try {
      const length = topic.length;
      const dollar = topic.charCodeAt(0) === DOLLAR;
      nodes[0] = this.root;
      starts[0] = 0;
      let top = 1;
      while (top > 0) {
        const node = nodes[--top] as TrieNode<V>;
        const start = starts[top] as number;
        // [MQTT-4.7.2-1] Only the root is at 0: a '$' topic does not match a leading '#' or '+'.
        const wildcards = start !== 0 || !dollar;
        // [MQTT-4.7.1-2] '#' matches the remaining levels, none included.
        const hash = node.hash;
        if (wildcards && hash !== undefined && hash.filter !== undefined) visit(hash.value as V, hash.filter);
        if (start > length) {
          if (node.filter !== undefined) visit(node.value as V, node.filter);
          continue;
        }
        let end = topic.indexOf('/', start);
        if (end === -1) end = length;
        if (wildcards && node.plus !== undefined) {
          nodes[top] = node.plus;
          starts[top++] = end + 1;
        }
        if (node.children !== undefined) {
          const next = node.children.get(topic.slice(start, end));
          if (next !== undefined) {
            nodes[top] = next;
            starts[top++] = end + 1;
          }
        }
      }
    } finally {
      if (!reentrant) this.matching = false;
    }
  }

  /** Every stored filter with its value, in no particular order. */
  *entries(): IterableIterator<[string, V]> {
    yield* this.exact.entries();
    const stack: TrieNode<V>[] = [this.root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (node.filter !== undefined) yield [node.filter, node.value as V];
      if (node.hash !== undefined) stack.push(node.hash);
      if (node.plus !== undefined) stack.push(node.plus);
      if (node.children !== undefined) for (const child of node.children.values()) stack.push(child);
    }
  }

  /** The trie node holding `filter`, if stored. */
  private find(filter: string): TrieNode<V> | undefined {
    let node: TrieNode<V> | undefined = this.root;
    let start = 0;
    for (;;) {
      const slash = filter.indexOf('/', start);
      node = node.child(slash === -1 ? filter.slice(start) : filter.slice(start, slash));
      if (node === undefined) return undefined;
      if (slash === -1) return node.filter === undefined ? undefined : node;
      start = slash + 1;
    }
  }
}
