/**
 * Hands an action's outputs from the job that computed them to the HTTP request still waiting for them, in this
 * process. The request registers before it enqueues and gives up (answers BLOCK) after its budget; the job takes
 * the waiter synchronously, so exactly one of them reports the result: the HTTP answer (SUCCESS with outputs) or
 * the callback completion. A job in another process (BullMQ workers) finds no waiter and always calls back.
 */
export class ActionWaiters {
  private readonly waiting = new Map<string, (outputs: Record<string, string>) => void>();

  /** Resolves with the outputs, or undefined after `ms` (the waiter is then gone). */
  wait(callbackId: string, ms: number): Promise<Record<string, string> | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(callbackId);
        resolve(undefined);
      }, ms);
      this.waiting.set(callbackId, (outputs) => {
        clearTimeout(timer);
        resolve(outputs);
      });
    });
  }

  /** True when a waiting request took the outputs (no callback needed). */
  deliver(callbackId: string, outputs: Record<string, string>): boolean {
    const take = this.waiting.get(callbackId);
    if (!take) return false;
    this.waiting.delete(callbackId);
    take(outputs);
    return true;
  }
}
