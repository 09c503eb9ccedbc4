/** Memoizes an async factory and remembers how to close what it made (closed in reverse creation order). */
export class Resources {
  private readonly closers: Array<{ name: string; close: () => Promise<void> }> = [];

  lazy<T>(name: string, make: () => Promise<T>, close?: (v: T) => Promise<void>): () => Promise<T> {
    let p: Promise<T> | undefined;
    return () => {
      p ??= make().then(
        (v) => {
          if (close) this.closers.push({ name, close: () => close(v) });
          return v;
        },
        (err: unknown) => {
          p = undefined; // let a later call retry (e.g. a backend that was down)
          throw err;
        },
      );
      return p;
    };
  }

  async closeAll(onError?: (name: string, err: unknown) => void): Promise<void> {
    while (this.closers.length > 0) {
      const c = this.closers.pop();
      if (!c) break;
      try {
        await c.close();
      } catch (err) {
        onError?.(c.name, err);
      }
    }
  }
}
