import type { Message } from '../message';
import type { RetainStore } from './retain-store';

interface Level {
  children: Map<string, Level>;
  message: Message | undefined;
}

const newLevel = (): Level => ({ children: new Map(), message: undefined });

/**
 * RetainStore of the embedded default: a tree of topic levels, so a wildcard subscribe walks only
 * the branches its filter can match instead of every retained topic.
 */
export class MemoryRetainStore implements RetainStore {
  private readonly root = newLevel();
  private count = 0;

  async put(message: Message): Promise<void> {
    if (message.payload.length === 0) {
      await this.delete(message.topic);
      return;
    }
    let level = this.root;
    for (const name of message.topic.split('/')) {
      let next = level.children.get(name);
      if (!next) {
        next = newLevel();
        level.children.set(name, next);
      }
      level = next;
    }
    if (!level.message) this.count++;
    level.message = message;
  }

  async get(topic: string): Promise<Message | undefined> {
    let level: Level | undefined = this.root;
    for (const name of topic.split('/')) {
      level = level.children.get(name);
      if (!level) return undefined;
    }
    return level.message;
  }

  async match(filter: string): Promise<Message[]> {
    const out: Message[] = [];
    collect(this.root, filter.split('/'), 0, out);
    return out;
  }

  async delete(topic: string): Promise<boolean> {
    const names = topic.split('/');
    const path: Level[] = [this.root];
    for (const name of names) {
      const next = path[path.length - 1]!.children.get(name);
      if (!next) return false;
      path.push(next);
    }
    const leaf = path[path.length - 1]!;
    if (!leaf.message) return false;
    leaf.message = undefined;
    this.count--;
    for (let i = names.length; i > 0; i--) {
      const level = path[i]!;
      if (level.message || level.children.size > 0) break;
      path[i - 1]!.children.delete(names[i - 1]!);
    }
    return true;
  }

  async size(): Promise<number> {
    return this.count;
  }
}

function collect(level: Level, filter: string[], depth: number, out: Message[]): void {
  if (depth === filter.length) {
    if (level.message) out.push(level.message);
    return;
  }
  const name = filter[depth]!;
  const atRoot = depth === 0;
  if (name === '#') {
    // "sport/#" also matches "sport" itself [MQTT-4.7.1-2].
    if (level.message && !atRoot) out.push(level.message);
    collectAll(level, atRoot, out);
  } else if (name === '+') {
    for (const [childName, child] of level.children) {
      if (atRoot && childName.startsWith('$')) continue; // [MQTT-4.7.2-1]
      collect(child, filter, depth + 1, out);
    }
  } else {
    const child = level.children.get(name);
    if (child) collect(child, filter, depth + 1, out);
  }
}

function collectAll(level: Level, atRoot: boolean, out: Message[]): void {
  for (const [childName, child] of level.children) {
    if (atRoot && childName.startsWith('$')) continue; // [MQTT-4.7.2-1]
    if (child.message) out.push(child.message);
    collectAll(child, false, out);
  }
}
