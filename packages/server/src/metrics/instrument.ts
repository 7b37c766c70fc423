/**
 * Times the operations of a backend (a Redis store, the NATS bus) without touching its code: every
 * method that returns a promise is measured from call to settlement and reported with its name.
 */
import { performance } from 'node:perf_hooks';

/** Told of every timed operation: which backend and store, the operation (method name), seconds, success. */
export type OperationObserver = (
  backend: 'redis' | 'nats',
  store: string,
  op: string,
  seconds: number,
  ok: boolean,
) => void;

/**
 * Wraps `target` so its promise-returning methods are timed, each reported under its method name.
 * (The NATS bus times its own round trips: one per batch of forwarded messages, not one per message.)
 */
export function instrument<T extends object>(
  target: T,
  backend: 'redis' | 'nats',
  store: string,
  observe: OperationObserver,
): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property, receiver) {
      // Getters run on the target itself (they may use private fields).
      const value: unknown = Reflect.get(object, property);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor') return value;
      let wrapper = wrapped.get(property);
      if (!wrapper) {
        const method = value as (...args: unknown[]) => unknown;
        wrapper = function (this: unknown, ...args: unknown[]): unknown {
          const self = this === receiver ? object : this;
          const op = property;
          const started = performance.now();
          const result = method.apply(self, args);
          if (!(result instanceof Promise)) return result;
          return result.then(
            (resolved: unknown) => {
              observe(backend, store, op, (performance.now() - started) / 1000, true);
              return resolved;
            },
            (error: unknown) => {
              observe(backend, store, op, (performance.now() - started) / 1000, false);
              throw error;
            },
          );
        };
        wrapped.set(property, wrapper);
      }
      return wrapper;
    },
  });
}
