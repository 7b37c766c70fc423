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
 * Wraps `target` so its promise-returning methods are timed. `operation` names the call for the
 * metric (default: the method name) or returns undefined to leave it untimed (e.g. a
 * fire-and-forget forward, which settles at once).
 */
export function instrument<T extends object>(
  target: T,
  backend: 'redis' | 'nats',
  store: string,
  observe: OperationObserver,
  operation: (method: string, args: unknown[]) => string | undefined = (method) => method,
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
          const op = operation(property, args);
          if (op === undefined) return method.apply(self, args);
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
