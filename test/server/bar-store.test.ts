// The typed bar window keeps exactly the bars the shared applier keeps, and knows which changed after a seq.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { upsertBar, type Bar } from '../../src/protocol/index.js';
import { BarStore } from '../../server/engine/bar-store.js';
import { BarRing } from '../../server/engine/bar-ring.js';
import { Random } from '../../server/feeds/random.js';

const bar = (time: number, close: number, trades = 1): Bar => ({ time, open: close - 1, high: close + 2, low: close - 3, close, volume: close / 10, trades });

describe('BarStore', () => {
  test('random upserts (appends, replacements, older inserts, a full window) give what upsertBar gives', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = new Random(seed);
      const maxBars = 12;
      const store = new BarStore(maxBars);
      const reference: Bar[] = [];
      const lastChange = new Map<number, number>();
      let newest = 100;
      for (let seq = 1; seq <= 600; seq++) {
        const r = random.next();
        // Mostly the current bar or a new one; sometimes an older bar, inside or before the window.
        const time = r < 0.45 ? newest : r < 0.8 ? (newest += 1 + Math.floor(random.next() * 3)) : newest - Math.floor(random.next() * 20);
        const b = bar(time, Math.round(random.next() * 1000) / 10, seq);
        const kept = store.upsert(b, seq);
        upsertBar(reference, b, maxBars);
        assert.equal(kept, reference.includes(b), `seed ${seed} seq ${seq}: kept`);
        if (kept) lastChange.set(time, seq);
        assert.deepEqual(store.toBars(), reference, `seed ${seed} seq ${seq}`);
      }
      for (const after of [0, 100, 350, 590, 600]) {
        const expected = reference
          .filter((x) => lastChange.get(x.time)! > after)
          .sort((a, b) => lastChange.get(a.time)! - lastChange.get(b.time)!)
          .map((x) => x.time);
        const got = store.changedAfter(after).map((i) => store.time(i));
        assert.deepEqual(got, expected, `seed ${seed}: changed after ${after}`);
        for (const i of store.changedAfter(after)) assert.equal(store.seq(i), lastChange.get(store.time(i)));
      }
    }
  });

  test('applying the bars changed after a seq to the state at that seq gives the state now', () => {
    const random = new Random(9);
    const maxBars = 50;
    const store = new BarStore(maxBars);
    const states = new Map<number, Bar[]>();
    let newest = 0;
    for (let seq = 1; seq <= 2_000; seq++) {
      const r = random.next();
      const time = r < 0.6 ? newest : r < 0.95 ? ++newest : newest - Math.floor(random.next() * 60);
      store.upsert(bar(time, seq), seq);
      if (seq % 97 === 0) states.set(seq, store.toBars());
    }
    for (const [seq, then] of states) {
      const state = then.map((b) => ({ ...b }));
      for (const i of store.changedAfter(seq)) upsertBar(state, store.bar(i), maxBars);
      assert.deepEqual(state, store.toBars(), `resumed from ${seq}`);
    }
  });
});

describe('BarRing', () => {
  test('keeps the last N updates exactly, and says when one after a seq is gone', () => {
    const ring = new BarRing(4);
    const text = (seq: number, updated: number, b: Bar) => `${seq}@${updated}:${b.time}/${b.close}`;
    assert.deepEqual(ring.after(0, 0, text), []);
    for (let seq = 1; seq <= 10; seq++) ring.push(seq, bar(seq * 60, seq), 500 + seq);
    assert.deepEqual(ring.after(6, 10, text), ['7@507:420/7', '8@508:480/8', '9@509:540/9', '10@510:600/10']);
    assert.deepEqual(ring.after(9, 10, text), ['10@510:600/10']);
    assert.equal(ring.after(5, 10, text), undefined, 'seq 6 is no longer kept');
    assert.equal(ring.after(11, 10, text), undefined, 'ahead');
    assert.equal(new BarRing(0).after(0, 1, text), undefined, 'a ring of 0 keeps nothing');
  });
});
