/**
 * Settles like `promise`, or rejects with "no answer within N ms" after `ms` (the timer is always
 * cleared). Used for Redis pings and scrape-time reads that must not hang a probe or a scrape.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no answer within ${ms} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
