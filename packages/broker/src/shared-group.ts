import type { QoS } from '@flockmq/protocol';
import { RingBuffer } from './ring-buffer';
import type { Message } from './message';
import type { SubscriptionOptions } from './backends/session-store';

/**
 * One shared subscription group `$share/{group}/{filter}` (G3). Messages belong to the group: a
 * message goes to one online member with room in its window, members taken in turn; when none
 * has room it waits in the group's backlog until one does.
 */
export class SharedGroup {
  /** `{group}/{filter}`: the shared filter without its `$share/` prefix. */
  readonly key: string;
  readonly members = new Map<string, SubscriptionOptions>();
  readonly backlog = new RingBuffer<Message>();
  private memberIds: string[] = [];
  private cursor = 0;

  constructor(
    readonly group: string,
    readonly filter: string,
  ) {
    this.key = `${group}/${filter}`;
  }

  setMember(clientId: string, options: SubscriptionOptions): boolean {
    const isNew = !this.members.has(clientId);
    this.members.set(clientId, options);
    if (isNew) this.memberIds.push(clientId);
    return isNew;
  }

  removeMember(clientId: string): boolean {
    if (!this.members.delete(clientId)) return false;
    this.memberIds = this.memberIds.filter((id) => id !== clientId);
    return true;
  }

  /**
   * The next member, in turn, for which `accepts` is true, or undefined when none can take a
   * message now. Round robin over members (not nodes or connections) keeps the spread even.
   */
  pick(qos: QoS, accepts: (clientId: string, qos: QoS) => boolean): string | undefined {
    const n = this.memberIds.length;
    for (let i = 0; i < n; i++) {
      const index = (this.cursor + i) % n;
      const clientId = this.memberIds[index]!;
      if (accepts(clientId, qos)) {
        this.cursor = (index + 1) % n;
        return clientId;
      }
    }
    return undefined;
  }
}
