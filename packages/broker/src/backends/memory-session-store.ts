import { FlockError } from '@flockmq/protocol';
import type {
  AppendResult,
  Ownership,
  PendingMessage,
  SessionState,
  SessionStore,
} from './session-store';

/** SessionStore of the embedded default: one process, everything in memory. */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, SessionState>();
  private readonly owners = new Map<string, Ownership>();

  async claim(clientId: string, nodeId: string): Promise<Ownership> {
    const epoch = (this.owners.get(clientId)?.epoch ?? 0) + 1;
    const ownership = { epoch, nodeId };
    this.owners.set(clientId, ownership);
    return { ...ownership };
  }

  async owner(clientId: string): Promise<Ownership | undefined> {
    const current = this.owners.get(clientId);
    return current && { ...current };
  }

  async load(clientId: string): Promise<SessionState | undefined> {
    const state = this.sessions.get(clientId);
    return state && cloneState(state);
  }

  async save(state: SessionState, epoch: number): Promise<void> {
    this.assertOwner(state.clientId, epoch);
    this.sessions.set(state.clientId, cloneState(state));
  }

  async append(
    clientId: string,
    message: PendingMessage,
    maxQueued: number,
    policy: 'drop-oldest' | 'drop-new',
  ): Promise<AppendResult> {
    const state = this.sessions.get(clientId);
    if (!state) return 'no-session';
    const queued = state.pending.filter((p) => p.state === 'queued').length;
    if (queued >= maxQueued) {
      if (policy === 'drop-new') return 'dropped-new';
      const oldest = state.pending.findIndex((p) => p.state === 'queued');
      if (oldest >= 0) state.pending.splice(oldest, 1);
      state.pending.push({ ...message });
      return 'dropped-oldest';
    }
    state.pending.push({ ...message });
    return 'queued';
  }

  async delete(clientId: string, epoch?: number): Promise<boolean> {
    if (epoch !== undefined && this.owners.get(clientId)?.epoch !== epoch) return false;
    this.owners.delete(clientId);
    return this.sessions.delete(clientId);
  }

  async list(): Promise<string[]> {
    return [...this.sessions.keys()];
  }

  private assertOwner(clientId: string, epoch: number): void {
    const current = this.owners.get(clientId);
    if (!current || current.epoch !== epoch) {
      throw new FlockError(
        'FLOCK_ERR_FENCED',
        `session ${clientId}: epoch ${epoch} no longer owns it (current ${current?.epoch ?? 'none'})`,
      );
    }
  }
}

function cloneState(state: SessionState): SessionState {
  return {
    ...state,
    subscriptions: state.subscriptions.map((s) => ({ ...s })),
    pending: state.pending.map((p) => ({ ...p })),
    inboundQoS2: [...state.inboundQoS2],
  };
}
