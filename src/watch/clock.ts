/**
 * Where the watch loop gets the time and waits. The loop's schedule (settle
 * time, longest wait, rescan interval, retries) is arithmetic on now(); tests
 * give it a clock they move by hand, so they check that schedule exactly and
 * without waiting for real time to pass.
 */
export interface WatchClock {
  /** Milliseconds, as Date.now(). */
  now(): number;
  /**
   * Resolves after `ms`, or at once when the loop calls the wake function that
   * `register` receives (a change, an abort).
   */
  sleep(ms: number, register: (wake: () => void) => void): Promise<void>;
}

/** Timers cap at about 24.8 days; the loop just sleeps again. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export const systemClock: WatchClock = {
  now: () => Date.now(),
  sleep: (ms, register) =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, Math.min(ms, LONGEST_TIMER_MS));
      register(() => {
        clearTimeout(t);
        resolve();
      });
    }),
};
