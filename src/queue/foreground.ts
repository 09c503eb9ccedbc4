/**
 * Webhook deliveries being answered in this process. HubSpot gives a delivery a few seconds and sends up to 10
 * at once; an embedded worker sharing the event loop runs its synchronous SQLite work between them. Workers
 * consult the gate before each claim and step aside while deliveries are in flight, for at most `maxDeferMs`
 * per round, so acknowledgements go first and background work still always progresses.
 */
export class ForegroundGate {
  private active = 0;

  constructor(readonly maxDeferMs = 25) {}

  /** Marks one delivery in flight; call the returned function once when it is answered or aborted. */
  enter(): () => void {
    this.active += 1;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.active -= 1;
    };
  }

  get busy(): boolean {
    return this.active > 0;
  }

  /** Resolves once no delivery is in flight, or after `maxDeferMs` (or at once when `stop()` says so). */
  async idle(stop: () => boolean = () => false): Promise<void> {
    if (!this.busy) return;
    const deadline = performance.now() + this.maxDeferMs;
    while (this.busy && !stop() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  }
}
