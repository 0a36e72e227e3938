/**
 * The Restate TypeScript SDK 1.17 calls `Promise.withResolvers` (Node ≥ 22);
 * these machines run Node 20. Imported first by the processes that load it.
 */
const promises = Promise as unknown as { withResolvers?: () => unknown };
promises.withResolvers ??= <T>() => {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
