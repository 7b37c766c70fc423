import type { ForwardedMessage } from '@flockmq/broker';
import { ForwardBatcher } from '../src/frame-batcher';
import type { ForwardWaiter } from '../src/frame-batcher';
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
    const sent: Array<{ nodeId: string; topics: string[]; waiters: ForwardWaiter[] }> = [];
    const batcher = new ForwardBatcher((nodeId, batch, waiters) =>
      sent.push({ nodeId, topics: batch.map((f) => f.message.topic), waiters }),
    );
    const resolved: string[] = [];
    void batcher.add('b', forwarded('1'), true).then(() => resolved.push('1'));
    void batcher.add('c', forwarded('2'), false).then(() => resolved.push('2'));
    void batcher.add('b', forwarded('3'), false).then(() => resolved.push('3'));
    expect(sent).toEqual([]);
    await nextTurn();
    expect(sent.map(({ nodeId, topics, waiters }) => ({ nodeId, topics, waiters: waiters.length }))).toEqual([
      { nodeId: 'b', topics: ['1', '3'], waiters: 1 },
      { nodeId: 'c', topics: ['2'], waiters: 0 },
    ]);
    expect(resolved.sort()).toEqual(['2', '3']);
    sent[0]!.waiters[0]!.resolve();
    await nextTurn();
    expect(resolved.sort()).toEqual(['1', '2', '3']);
  });

  test('frame batcher - splits a batch that could exceed the size limit, keeping order and waiters', async () => {
    const sizes: number[][] = [];
    const waiterCounts: number[] = [];
    const one = forwardedSizeBound(forwarded('x', 100));
    const batcher = new ForwardBatcher(
      (_nodeId, batch, waiters) => {
        sizes.push(batch.map((f) => Number(f.message.topic)));
        waiterCounts.push(waiters.length);
      },
      () => one * 2,
    );
    for (let i = 0; i < 5; i++) void batcher.add('b', forwarded(String(i), 100), i % 2 === 0);
    batcher.flush();
    expect(sizes).toEqual([[0, 1], [2, 3], [4]]);
    expect(waiterCounts).toEqual([1, 1, 1]);
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
