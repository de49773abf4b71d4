/**
 * Items by the time they are due (ms since epoch), earliest first: a binary heap, so adding one and taking out those
 * due cost O(log n) each however many wait. What holds things until a time (seats held for a match, the notices of
 * those seats) drops them through it instead of walking all it holds at each operation.
 */
export class DueQueue<T> {
  readonly #heap: { due: number; item: T }[] = [];

  get size(): number {
    return this.#heap.length;
  }

  push(due: number, item: T): void {
    const heap = this.#heap;
    heap.push({ due, item });
    for (let at = heap.length - 1; at > 0; ) {
      const parent = (at - 1) >> 1;
      if (heap[parent]!.due <= heap[at]!.due) break;
      [heap[parent], heap[at]] = [heap[at]!, heap[parent]!];
      at = parent;
    }
  }

  /** Takes out the items due by `now` (due <= now), earliest first. */
  *takeDue(now: number): Generator<T> {
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.due <= now) {
      const top = heap[0]!;
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        for (let at = 0; ; ) {
          const left = 2 * at + 1;
          const right = left + 1;
          let least = at;
          if (left < heap.length && heap[left]!.due < heap[least]!.due) least = left;
          if (right < heap.length && heap[right]!.due < heap[least]!.due) least = right;
          if (least === at) break;
          [heap[least], heap[at]] = [heap[at]!, heap[least]!];
          at = least;
        }
      }
      yield top.item;
    }
  }
}
