/**
 * A rolling window per key (HubSpot's TEN_SECONDLY_ROLLING and the search API's SECONDLY policies): a request
 * is allowed when fewer than `limit` requests were allowed in the last `windowMs`. Rejected requests do not
 * count, as in HubSpot, so a client that backs off recovers after one window.
 */
export class RollingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Records a request if allowed; `remaining` is what is left in the window afterwards. */
  take(key: string, now: number): { allowed: boolean; remaining: number; retryAfterMs: number } {
    if (this.limit <= 0) return { allowed: true, remaining: Number.MAX_SAFE_INTEGER, retryAfterMs: 0 };
    let list = this.hits.get(key);
    if (!list) this.hits.set(key, (list = []));
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < list.length && list[drop]! <= cutoff) drop++;
    if (drop > 0) list.splice(0, drop);
    if (list.length >= this.limit) return { allowed: false, remaining: 0, retryAfterMs: list[0]! + this.windowMs - now };
    list.push(now);
    return { allowed: true, remaining: this.limit - list.length, retryAfterMs: 0 };
  }

  reset(): void {
    this.hits.clear();
  }
}
