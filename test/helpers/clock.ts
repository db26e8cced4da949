/** A clock tests move: the workers' decisions follow it (`startStack`'s `now`), BullMQ's delays do not. */
export function testClock() {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    set(at: number) {
      offset = at - Date.now();
    },
    reset() {
      offset = 0;
    },
  };
}
