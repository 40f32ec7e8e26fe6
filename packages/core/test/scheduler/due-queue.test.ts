import { describe, expect, it } from "vitest";
import { DueQueue } from "../../src/scheduler/due-queue.js";

interface Item {
  dueMs: number;
  seq: number;
}

function drain(queue: DueQueue<Item>): Item[] {
  const out: Item[] = [];
  for (let item = queue.pop(); item !== undefined; item = queue.pop()) out.push(item);
  return out;
}

describe("DueQueue", () => {
  it("pops by due time, ties in push order", () => {
    const queue = new DueQueue<Item>();
    let seed = 7;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const items = Array.from({ length: 2_000 }, (_, seq) => ({ dueMs: Math.floor(random() * 300), seq }));
    for (const item of items) queue.push(item);
    expect(queue.size).toBe(2_000);
    const expected = [...items].sort((a, b) => a.dueMs - b.dueMs || a.seq - b.seq);
    expect(drain(queue)).toEqual(expected);
    expect(queue.peek()).toBeUndefined();
  });

  it("retain drops rejected items and keeps the heap order", () => {
    const queue = new DueQueue<Item>();
    for (let seq = 0; seq < 100; seq++) queue.push({ dueMs: (seq * 37) % 100, seq });
    queue.retain((item) => item.seq % 3 === 0);
    const left = drain(queue);
    expect(left.map((i) => i.seq).every((s) => s % 3 === 0)).toBe(true);
    expect(left).toHaveLength(34);
    expect(left.map((i) => i.dueMs)).toEqual([...left.map((i) => i.dueMs)].sort((a, b) => a - b));
  });
});
