/**
 * A binary min-heap ordered by time, then by insertion: what lets the
 * simulator write a day's records in time order while holding only the
 * records of the uploads running at that moment.
 */
interface Entry<T> {
  time: number;
  seq: number;
  value: T;
}

export class TimeHeap<T> {
  private readonly items: Entry<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  /** Time of the earliest entry, `Infinity` when empty. */
  peekTime(): number {
    return this.items[0]?.time ?? Number.POSITIVE_INFINITY;
  }

  push(time: number, value: T): void {
    const a = this.items;
    const e: Entry<T> = { time, seq: this.seq++, value };
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p] as Entry<T>;
      if (!before(e, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = e;
  }

  /** Removes and returns the earliest entry's value. */
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    if (top === undefined) return undefined;
    const last = a.pop() as Entry<T>;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c =
          r < a.length && before(a[r] as Entry<T>, a[l] as Entry<T>) ? r : l;
        const child = a[c] as Entry<T>;
        if (!before(child, last)) break;
        a[i] = child;
        i = c;
      }
      a[i] = last;
    }
    return top.value;
  }
}

function before<T>(x: Entry<T>, y: Entry<T>): boolean {
  return x.time < y.time || (x.time === y.time && x.seq < y.seq);
}
