import { FlockError } from '@flockmq/protocol';
import type {
  AppendOutcome,
  Claim,
  Ownership,
  PendingMessage,
  SessionChanges,
  SessionState,
  SessionStore,
} from './session-store';

/** SessionStore of the embedded default: one process, everything in memory. */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, SessionState>();
  private readonly owners = new Map<string, Ownership>();
  /** Epochs outlive ownership and sessions, so a released or deleted id never reuses one. */
  private readonly epochs = new Map<string, number>();

  async claim(clientId: string, nodeId: string): Promise<Claim> {
    const previous = this.owners.get(clientId);
    const epoch = (this.epochs.get(clientId) ?? 0) + 1;
    this.epochs.set(clientId, epoch);
    this.owners.set(clientId, { epoch, nodeId });
    return { epoch, nodeId, previous: previous && { ...previous } };
  }

  async owner(clientId: string): Promise<Ownership | undefined> {
    const current = this.owners.get(clientId);
    return current && { ...current };
  }

  async release(clientId: string, epoch: number): Promise<boolean> {
    if (this.owners.get(clientId)?.epoch !== epoch) return false;
    this.owners.delete(clientId);
    return true;
  }

  async load(clientId: string): Promise<SessionState | undefined> {
    const state = this.sessions.get(clientId);
    return state && cloneState(state);
  }

  async save(state: SessionState, epoch: number): Promise<void> {
    this.assertOwner(state.clientId, epoch);
    this.sessions.set(state.clientId, cloneState(state));
  }

  async update(clientId: string, epoch: number, changes: SessionChanges): Promise<void> {
    this.assertOwner(clientId, epoch);
    const state = this.sessions.get(clientId);
    if (!state) throw new FlockError('FLOCK_ERR_SESSION_NOT_FOUND', `session ${clientId} does not exist`);
    applyChanges(state, changes);
  }

  async append(
    clientId: string,
    message: PendingMessage,
    maxQueued: number,
    policy: 'drop-oldest' | 'drop-new',
  ): Promise<AppendOutcome> {
    const state = this.sessions.get(clientId);
    if (!state) return { result: 'no-session' };
    let dropped = false;
    if (state.pending.filter((p) => p.state === 'queued').length >= maxQueued) {
      if (policy === 'drop-new') return { result: 'dropped-new' };
      state.pending.splice(
        state.pending.findIndex((p) => p.state === 'queued'),
        1,
      );
      dropped = true;
    }
    const seq = ++state.lastSeq;
    state.pending.push({ ...message, seq, state: 'queued' });
    return dropped ? { result: 'dropped-oldest', seq } : { result: 'queued', seq };
  }

  async delete(clientId: string, epoch?: number): Promise<boolean> {
    if (epoch !== undefined && this.owners.get(clientId)?.epoch !== epoch) return false;
    return this.sessions.delete(clientId);
  }

  async list(): Promise<string[]> {
    return [...this.sessions.keys()];
  }

  async ownedBy(nodeId: string): Promise<string[]> {
    return [...this.owners].filter(([, owner]) => owner.nodeId === nodeId).map(([clientId]) => clientId);
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

/** Applies a change set to a session state in place (shared by backends that keep state objects). */
export function applyChanges(state: SessionState, changes: SessionChanges): void {
  for (const sub of changes.subscribe ?? []) {
    const index = state.subscriptions.findIndex((s) => s.filter === sub.filter);
    if (index >= 0) state.subscriptions[index] = { ...sub };
    else state.subscriptions.push({ ...sub });
  }
  if (changes.unsubscribe?.length) {
    const gone = new Set(changes.unsubscribe);
    state.subscriptions = state.subscriptions.filter((s) => !gone.has(s.filter));
  }
  if (changes.completed?.length) {
    const done = new Set(changes.completed);
    state.pending = state.pending.filter((p) => !done.has(p.seq));
  }
  if (changes.sent?.length) {
    const sent = new Set(changes.sent);
    for (const p of state.pending) if (sent.has(p.seq) && p.state === 'queued') p.state = 'sent';
  }
  if (changes.released?.length) {
    const released = new Set(changes.released);
    for (const p of state.pending) if (released.has(p.seq)) p.state = 'released';
  }
  if (changes.inboundQoS2Add?.length || changes.inboundQoS2Remove?.length) {
    const ids = new Set(state.inboundQoS2);
    for (const id of changes.inboundQoS2Add ?? []) ids.add(id);
    for (const id of changes.inboundQoS2Remove ?? []) ids.delete(id);
    state.inboundQoS2 = [...ids];
  }
  if (changes.expiryInterval !== undefined) state.expiryInterval = changes.expiryInterval;
  if (changes.disconnectedAt !== undefined) state.disconnectedAt = changes.disconnectedAt ?? undefined;
  if (changes.will !== undefined) state.will = changes.will ?? undefined;
}

function cloneState(state: SessionState): SessionState {
  return {
    ...state,
    subscriptions: state.subscriptions.map((s) => ({ ...s })),
    pending: state.pending.map((p) => ({ ...p })),
    inboundQoS2: [...state.inboundQoS2],
    will: state.will && { ...state.will },
  };
}
