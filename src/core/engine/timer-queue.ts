import type { CancelTimer, Clock } from '../../util/clock.js';

/**
 * One clock timer for many keys: each key has at most one due time, and the queue keeps a single timer armed for
 * the earliest. Thousands of credentials each with its own Node timer cost about 330 bytes apiece (the Timeout, two
 * closures and their contexts; measured by bench:memory's heap census); here a key costs a map entry and two array
 * slots. Due times live in a binary heap of parallel arrays with lazy deletion: rescheduling or cancelling a key
 * only updates the map, and stale heap slots are skipped when they surface.
 */
export class TimerQueue {
  readonly #clock: Clock;
  readonly #fire: (key: string) => void;
  readonly #slackMs: number;
  /** key → its current due time. */
  readonly #due = new Map<string, number>();
  // The heap: #times[i] is the due time of #keys[i]; a slot is stale when #due no longer says that time.
  readonly #times: number[] = [];
  readonly #keys: string[] = [];
  #armedAt = Infinity;
  #cancelArmed: CancelTimer | undefined;

  /**
   * `fire` runs for each key whose time has come, in time order, once per schedule. `slackMs`: Node's timers and
   * Date.now() run on different clocks, so a timer set for T may fire at T − 1 ms; what falls due within the slack
   * counts as due (otherwise the queue would re-arm a zero-delay timer until the clock caught up).
   */
  constructor(clock: Clock, fire: (key: string) => void, slackMs = 5) {
    this.#clock = clock;
    this.#fire = fire;
    this.#slackMs = slackMs;
  }

  /** Sets (or moves) the key's due time. */
  schedule(key: string, at: number): void {
    this.#due.set(key, at);
    this.#push(at, key);
    if (at < this.#armedAt) this.#arm(at);
  }

  /** Forgets the key's due time, if any. */
  cancel(key: string): void {
    this.#due.delete(key);
  }

  /** Whether the key has a due time. */
  has(key: string): boolean {
    return this.#due.has(key);
  }

  /** Cancels everything. */
  clear(): void {
    this.#due.clear();
    this.#times.length = 0;
    this.#keys.length = 0;
    this.#cancelArmed?.();
    this.#cancelArmed = undefined;
    this.#armedAt = Infinity;
  }

  #arm(at: number): void {
    this.#cancelArmed?.();
    this.#armedAt = at;
    this.#cancelArmed = this.#clock.setTimer(() => this.#run(), Math.max(0, at - this.#clock.now()));
  }

  #run(): void {
    this.#cancelArmed = undefined;
    this.#armedAt = Infinity;
    const dueBy = this.#clock.now() + this.#slackMs;
    const due: string[] = [];
    while (this.#times.length > 0 && this.#times[0]! <= dueBy) {
      const [at, key] = this.#pop();
      // A stale slot: the key was rescheduled or cancelled since.
      if (this.#due.get(key) !== at) continue;
      this.#due.delete(key);
      due.push(key);
    }
    // Skip stale slots at the top so the next timer is armed for a real due time.
    while (this.#times.length > 0 && this.#due.get(this.#keys[0]!) !== this.#times[0]) this.#pop();
    if (this.#times.length > 0) this.#arm(this.#times[0]!);
    for (const key of due) this.#fire(key);
  }

  #push(at: number, key: string): void {
    const times = this.#times;
    const keys = this.#keys;
    let i = times.length;
    times.push(at);
    keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= at) break;
      times[i] = times[parent]!;
      keys[i] = keys[parent]!;
      i = parent;
    }
    times[i] = at;
    keys[i] = key;
  }

  #pop(): [number, string] {
    const times = this.#times;
    const keys = this.#keys;
    const top: [number, string] = [times[0]!, keys[0]!];
    const lastTime = times.pop()!;
    const lastKey = keys.pop()!;
    const n = times.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && times[right]! < times[left]! ? right : left;
        if (times[child]! >= lastTime) break;
        times[i] = times[child]!;
        keys[i] = keys[child]!;
        i = child;
      }
      times[i] = lastTime;
      keys[i] = lastKey;
    }
    return top;
  }
}
