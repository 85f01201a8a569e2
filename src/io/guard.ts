/**
 * A driver's client whose calls fail with family errors: whatever a method throws or rejects with goes through
 * `wrap` once, on its way out of the client, so no caller (a store module, the dashboard, an activity) ever sees
 * a driver's own error. What the methods named in `nested` return (a pool's connection, a Kafka client's admin
 * or producer) is guarded the same way. The client is used as before: same methods, same results, same `this`.
 */
type Wrap = (e: unknown) => unknown;

const wrappers = new WeakMap<object, Wrap>();

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof (v as { then?: unknown } | null)?.then === 'function';

export function guarded<T extends object>(client: T, wrap: Wrap, nested: readonly string[] = []): T {
  const cache = new Map<string, { fn: unknown; guardedFn: unknown }>();
  const nest = (key: string, value: unknown) =>
    nested.includes(key) && value !== null && typeof value === 'object' ? guarded(value, wrap) : value;
  const proxy = new Proxy(client, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      // Symbols are a driver's internals (kafkajs keeps its cluster factory under one): left as they are.
      if (typeof value !== 'function' || typeof key === 'symbol') return value;
      const hit = cache.get(key);
      if (hit?.fn === value) return hit.guardedFn;
      const guardedFn = (...args: unknown[]) => {
        let result: unknown;
        try {
          result = value.apply(target, args);
        } catch (e) {
          throw wrap(e);
        }
        if (!isThenable(result)) return nest(key, result);
        return Promise.resolve(result).then(
          (v) => nest(key, v),
          (e) => {
            throw wrap(e);
          },
        );
      };
      cache.set(key, { fn: value, guardedFn });
      return guardedFn;
    },
  });
  wrappers.set(proxy, wrap);
  return proxy;
}

/** A client the driver hands over once connected, guarded: its connect's failure goes through `wrap` too. */
export async function connected<T extends object>(connecting: Promise<T>, wrap: Wrap): Promise<T> {
  const client = await connecting.catch((e) => {
    throw wrap(e);
  });
  return guarded(client, wrap);
}

/** The wrap a guarded client applies (for errors of code that reaches past the client, into its internals). */
export function wrapOf(client: object): Wrap {
  return wrappers.get(client) ?? ((e) => e);
}
