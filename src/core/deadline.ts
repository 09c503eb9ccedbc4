/**
 * `p`, or a rejection with `message` once `ms` have passed, whichever comes first. The work behind `p` is not
 * cancelled: callers use this where answering in time matters more than the work, and say what a late finish does.
 */
export function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(message)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}
