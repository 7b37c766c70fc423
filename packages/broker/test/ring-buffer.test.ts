import fc from 'fast-check';
import { RingBuffer } from '../src/ring-buffer';

test('ring buffer - behaves as an array queue under random push/shift/unshift', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.constant<'shift'>('shift'),
          fc.integer().map((n) => ({ push: n })),
          fc.integer().map((n) => ({ unshift: n })),
        ),
        { maxLength: 300 },
      ),
      (ops) => {
        const ring = new RingBuffer<number>(2);
        const model: number[] = [];
        for (const op of ops) {
          if (op === 'shift') expect(ring.shift()).toBe(model.shift());
          else if ('push' in op) {
            ring.push(op.push);
            model.push(op.push);
          } else {
            ring.unshift(op.unshift);
            model.unshift(op.unshift);
          }
          expect(ring.length).toBe(model.length);
          expect(ring.peek()).toBe(model[0]);
        }
        expect(ring.toArray()).toEqual(model);
      },
    ),
  );
});

test('ring buffer - removeWhere keeps the order of the rest', () => {
  const ring = new RingBuffer<number>(4);
  for (let i = 0; i < 10; i++) ring.push(i);
  ring.shift();
  expect(ring.removeWhere((n) => n % 3 === 0)).toBe(3);
  expect(ring.toArray()).toEqual([1, 2, 4, 5, 7, 8]);
});
