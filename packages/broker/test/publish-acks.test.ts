import { PublishAcks } from '../src/publish-acks';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PublishAcks', () => {
  it('acknowledges in the order the publishes came, whatever order their work settles in', async () => {
    const acks = new PublishAcks();
    const sent: string[] = [];
    const first = deferred();
    const second = deferred();
    acks.after(
      first.promise,
      () => sent.push('1'),
      () => sent.push('1 failed'),
    );
    acks.after(
      second.promise,
      () => sent.push('2'),
      () => sent.push('2 failed'),
    );
    acks.after(
      undefined,
      () => sent.push('3'),
      () => sent.push('3 failed'),
    );
    second.resolve();
    await settle();
    expect(sent).toEqual([]);
    expect(acks.pending).toBe(true);
    first.resolve();
    await settle();
    expect(sent).toEqual(['1', '2', '3']);
    expect(acks.pending).toBe(false);
  });

  it('reports a failed publish in its turn and goes on with the next', async () => {
    const acks = new PublishAcks();
    const events: string[] = [];
    const failing = deferred();
    acks.after(
      failing.promise,
      () => events.push('1'),
      (error) => events.push(`1 failed: ${(error as Error).message}`),
    );
    acks.after(
      Promise.resolve(),
      () => events.push('2'),
      () => events.push('2 failed'),
    );
    failing.reject(new Error('redis unreachable'));
    await settle();
    expect(events).toEqual(['1 failed: redis unreachable', '2']);
  });

  it('tells a waiter once nothing is pending, or at once', async () => {
    const acks = new PublishAcks();
    let idle = 0;
    acks.whenIdle(() => idle++);
    expect(idle).toBe(1);
    const work = deferred();
    acks.after(
      work.promise,
      () => undefined,
      () => undefined,
    );
    acks.whenIdle(() => idle++);
    await settle();
    expect(idle).toBe(1);
    work.resolve();
    await settle();
    expect(idle).toBe(2);
  });
});
