/**
 * The last `capacity` items of an endless stream (a long-running `npm start`'s log lines): memory stays
 * bounded. Trimming happens once the array holds twice the capacity, so a push costs O(1) amortised.
 */
export class RecentLines<T> {
  private items: T[] = [];

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
  }

  push(item: T): void {
    this.items.push(item);
    if (this.items.length >= this.capacity * 2) this.items = this.items.slice(-this.capacity);
  }

  /** The kept items, oldest first. */
  toArray(): T[] {
    return this.items.slice(-this.capacity);
  }
}
