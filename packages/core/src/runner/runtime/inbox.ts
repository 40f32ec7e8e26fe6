/**
 * An async iterable fed from outside: what is pushed is read in order, and a reader waits while
 * it is empty. The Agent SDK reads a live conversation's user messages from one.
 */
export class Inbox<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;

  push(item: T): void {
    if (this.ended) return;
    const wake = this.waiting;
    this.waiting = undefined;
    if (wake) wake({ done: false, value: item });
    else this.items.push(item);
  }

  end(): void {
    this.ended = true;
    const wake = this.waiting;
    this.waiting = undefined;
    wake?.({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) return Promise.resolve({ done: false, value: item });
        if (this.ended) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
    };
  }
}
