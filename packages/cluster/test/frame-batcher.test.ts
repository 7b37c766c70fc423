import type { ForwardedMessage } from '@flockmq/broker';
import { ForwardBatcher } from '../src/frame-batcher';
import type { BatchOutcome } from '../src/frame-batcher';
import { forwardedSizeBound } from '../src/frame-forward';

function forwarded(topic: string, size = 1): ForwardedMessage {
  return {
    message: {
      topic,
      payload: Buffer.alloc(size),
      qos: 1,
      retain: false,
      properties: undefined,
      expiresAt: undefined,
      origin: '',
      receivedAt: 0,
    },
    sharedGroup: undefined,
  };
}

const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

describe('frame batcher', () => {
  test('frame batcher - one batch per node per turn, waiters only for acknowledged messages', async () => {
    const sent: Array<{ nodeId: string; topics: string[]; outcome: BatchOutcome | undefined }> = [];
    const batcher = new ForwardBatcher((nodeId, batch, outcome) =>
      sent.push({ nodeId, topics: batch.map((f) => f.message.topic), outcome }),
    );
    const resolved: string[] = [];
    void batcher.add('b', forwarded('1'), true).then(() => resolved.push('1'));
    void batcher.add('c', forwarded('2'), false).then(() => resolved.push('2'));
    void batcher.add('b', forwarded('3'), false).then(() => resolved.push('3'));
    expect(sent).toEqual([]);
    await nextTurn();
    expect(
      sent.map(({ nodeId, topics, outcome }) => ({ nodeId, topics, acknowledged: outcome?.acknowledged })),
    ).toEqual([
      { nodeId: 'b', topics: ['1', '3'], acknowledged: 1 },
      { nodeId: 'c', topics: ['2'], acknowledged: undefined },
    ]);
    expect(resolved.sort()).toEqual(['2', '3']);
    sent[0]!.outcome!.resolve();
    await nextTurn();
    expect(resolved.sort()).toEqual(['1', '2', '3']);
  });

  test('frame batcher - splits a batch that could exceed the size limit, keeping order and waiters', async () => {
    const sizes: number[][] = [];
    const outcomes: BatchOutcome[] = [];
    const one = forwardedSizeBound(forwarded('x', 100));
    const batcher = new ForwardBatcher(
      (_nodeId, batch, outcome) => {
        sizes.push(batch.map((f) => Number(f.message.topic)));
        outcomes.push(outcome!);
      },
      () => one * 2,
    );
    let settled = 0;
    const added = [0, 1, 2, 3, 4].map((i) => batcher.add('b', forwarded(String(i), 100), i % 2 === 0));
    const acknowledged = added.filter((_, i) => i % 2 === 0);
    for (const promise of acknowledged) void promise.then(() => settled++);
    batcher.flush();
    expect(sizes).toEqual([[0, 1], [2, 3], [4]]);
    expect(outcomes.map((o) => o.acknowledged)).toEqual([1, 1, 1]);
    // The acknowledged messages settle once every part is answered, not before.
    outcomes[0]!.resolve();
    outcomes[2]!.resolve();
    await nextTurn();
    expect(settled).toBe(0);
    outcomes[1]!.resolve();
    await nextTurn();
    expect(settled).toBe(3);
  });

  test('frame batcher - one failed part fails every acknowledged message of the batch', async () => {
    const outcomes: BatchOutcome[] = [];
    const one = forwardedSizeBound(forwarded('x', 100));
    const batcher = new ForwardBatcher(
      (_nodeId, _batch, outcome) => outcomes.push(outcome!),
      () => one,
    );
    const first = batcher.add('b', forwarded('0', 100), true);
    const second = batcher.add('b', forwarded('1', 100), true);
    batcher.flush();
    expect(outcomes).toHaveLength(2);
    outcomes[0]!.resolve();
    outcomes[1]!.reject(new Error('node b is gone'));
    await expect(first).rejects.toThrow('node b is gone');
    await expect(second).rejects.toThrow('node b is gone');
  });

  test('frame batcher - abort fails the acknowledged forwards and sends nothing', async () => {
    const batcher = new ForwardBatcher(() => {
      throw new Error('must not send');
    });
    const acked = batcher.add('b', forwarded('x'), true);
    await batcher.add('b', forwarded('y'), false);
    batcher.abort(new Error('gone'));
    await expect(acked).rejects.toThrow('gone');
    await nextTurn();
  });
});
