/**
 * Resolves with the promise's value, or rejects with `Error(message(ms))` when `ms` have passed first; the timer
 * never outlives the race. The functions bound every call that could hold up a notification with it.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: (ms: number) => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message(ms))), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
