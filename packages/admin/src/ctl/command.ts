import type { AdminClient } from '../client';
import type { Options } from './args';
import { jsonView } from './format';

/** Where a command writes: one JSON document with --json, text otherwise. */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: { write(s: string): unknown },
    private readonly stderr: { write(s: string): unknown },
  ) {}

  /** Prints `doc` as JSON with --json, else what `render` returns. */
  emit(doc: unknown, render: () => string): void {
    this.stdout.write(this.json ? `${JSON.stringify(jsonView(doc), null, 2)}\n` : render());
  }

  /** Nodes that did not answer: the answer is partial, so say so (in JSON the document lists them). */
  unreachable(nodes: readonly string[]): void {
    if (this.json || nodes.length === 0) return;
    const who = nodes.length === 1 ? `node ${nodes[0]} did` : `nodes ${nodes.join(', ')} did`;
    this.stderr.write(
      `flockmq ctl: warning: ${who} not answer; the answer leaves ${nodes.length === 1 ? 'it' : 'them'} out\n`,
    );
  }

  note(line: string): void {
    if (!this.json) this.stderr.write(`flockmq ctl: ${line}\n`);
  }
}

export interface CommandContext {
  client: AdminClient;
  /** Positional arguments after the command's own words. */
  args: string[];
  options: Options;
  out: Output;
}

export interface Command {
  /** As typed: 'status', 'sessions delete', … */
  name: string;
  aliases?: string[];
  /** Arguments and options after the name, for the usage line. */
  synopsis: string;
  summary: string;
  /** Paragraphs after the summary in `--help`, when the summary is not enough. */
  description?: string[];
  /** Lines describing arguments and options, for `--help`. */
  help: string[];
  options: string[];
  /** How many positional arguments it takes. */
  args: { min: number; max: number; names: string };
  /** The call's deadline when --timeout is not given (default 5000 ms). */
  defaultTimeoutMs?: number;
  run(ctx: CommandContext): Promise<void>;
}

/** Page through a list until `limit` entries or the end. */
export async function collectPages<T>(
  limit: number,
  fetch: (
    pageSize: number,
    pageToken: string,
  ) => Promise<{ items: T[]; nextPageToken: string; unreachableNodes: string[] }>,
): Promise<{ items: T[]; truncated: boolean; unreachableNodes: string[] }> {
  const items: T[] = [];
  const unreachable = new Set<string>();
  let token = '';
  do {
    const page = await fetch(Math.min(1000, limit - items.length), token);
    items.push(...page.items);
    page.unreachableNodes.forEach((node) => unreachable.add(node));
    token = page.nextPageToken;
  } while (token !== '' && items.length < limit);
  return { items, truncated: token !== '', unreachableNodes: [...unreachable].sort() };
}
