/** events: and state: topics in the shared protocol module: names, merge patches, validators, appliers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyMergePatch,
  applyUpdateOfKind,
  jsonDocumentError,
  composeMergePatches,
  jsonEqual,
  mergePatchBetween,
  parseTopic,
  validateServerMessage,
  type JsonObject,
  type JsonValue,
} from '../../src/protocol/index.js';

test('events:<CHANNEL> and state:<KEY> parse; other shapes and characters do not', () => {
  assert.deepEqual(parseTopic('events:trade-bus.v1'), { ok: true, topic: { kind: 'events', channel: 'trade-bus.v1' } });
  assert.deepEqual(parseTopic('state:risk_summary'), { ok: true, topic: { kind: 'state', key: 'risk_summary' } });
  assert.equal(parseTopic(`state:${'k'.repeat(64)}`).ok, true);
  for (const bad of ['events:', 'events:a:b', 'state:-lead', 'state:a b', `events:${'c'.repeat(65)}`, 'state:é', 'state'])
    assert.equal(parseTopic(bad).ok, false, bad);
});

test('RFC 7396: the examples of its appendix A', () => {
  const cases: Array<[JsonObject, JsonObject, JsonObject]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null } as JsonObject, { a: 1 }, { e: null, a: 1 } as JsonObject],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [doc, patch, result] of cases) {
    const before = structuredClone(doc);
    assert.deepEqual(applyMergePatch(doc, patch), result, JSON.stringify([doc, patch]));
    assert.deepEqual(doc, before, 'the original is not changed');
  }
});

test('mergePatchBetween gives the smallest patch that turns one document into the other', () => {
  const a: JsonObject = { x: 1, y: { p: [1, 2], q: 'same' }, z: true };
  const b: JsonObject = { x: 1, y: { p: [1, 3], q: 'same', r: {} }, w: 'new' };
  const patch = mergePatchBetween(a, b);
  assert.deepEqual(patch, { z: null, y: { p: [1, 3], r: {} }, w: 'new' });
  assert.deepEqual(applyMergePatch(a, patch), b);
  assert.deepEqual(mergePatchBetween(b, structuredClone(b)), {});
  assert.ok(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }));
  assert.ok(!jsonEqual({ a: [1] }, { a: { 0: 1 } }));
});

test('composeMergePatches: one patch doing what two do to any document, or undefined when none can', () => {
  // A small seeded generator of documents and patches over a few keys, two levels deep.
  let seed = 11;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const keys = ['a', 'b', 'c'];
  const value = (depth: number, patch: boolean): JsonValue => {
    const r = random();
    if (patch && r < 0.2) return null;
    if (r < 0.45 && depth < 2) return object(depth + 1, patch);
    if (r < 0.6) return [Math.floor(random() * 3)];
    return Math.floor(random() * 5);
  };
  const object = (depth: number, patch: boolean): JsonObject => {
    const out: JsonObject = {};
    for (const key of keys) if (random() < 0.6) out[key] = value(depth, patch);
    return out;
  };
  let composed = 0;
  let refused = 0;
  for (let i = 0; i < 2_000; i++) {
    const [first, second] = [object(0, true), object(0, true)];
    const one = composeMergePatches(first, second);
    if (!one) {
      refused++;
      continue;
    }
    composed++;
    for (let j = 0; j < 5; j++) {
      const doc = object(0, false);
      assert.deepEqual(applyMergePatch(doc, one), applyMergePatch(applyMergePatch(doc, first), second), JSON.stringify({ doc, first, second, one }));
    }
  }
  assert.ok(composed > 500 && refused > 50, `both cases covered: ${composed} composed, ${refused} refused`);
  assert.deepEqual(composeMergePatches({ a: 1, b: { x: 1 } }, { b: { y: null }, c: [2] }), { a: 1, b: { x: 1, y: null }, c: [2] });
  assert.equal(composeMergePatches({ a: null }, { a: { x: 1 } }), undefined, 'delete, then merge into nothing: no single patch');
});

test('documents and patches: objects, finite numbers, no __proto__, no null members in a document', () => {
  assert.equal(jsonDocumentError({ a: [null, 1], b: { c: 'x' } }, 'document'), null);
  assert.match(jsonDocumentError({ a: { b: null } }, 'document')!, /document\.a\.b is null/);
  assert.equal(jsonDocumentError({ a: { b: null } }, 'patch'), null);
  assert.match(jsonDocumentError([], 'patch')!, /must be a JSON object/);
  assert.match(jsonDocumentError(JSON.parse('{"a":{"__proto__":{"x":1}}}'), 'patch')!, /__proto__/);
  assert.match(jsonDocumentError({ n: Infinity }, 'document')!, /finite/);
});

test('appliers: events append and trim to max; state returns the patched document', () => {
  const events = { channel: 'c', max: 2, events: [{ type: 'a', time: 1, data: 1 }] };
  applyUpdateOfKind('events', events, { type: 'b', time: 2, data: 2 });
  applyUpdateOfKind('events', events, { type: 'c', time: 3, data: 3 });
  assert.deepEqual(events.events.map((e) => e.type), ['b', 'c']);
  const doc = { a: 1 };
  assert.deepEqual(applyUpdateOfKind('state', doc, { a: null, b: 2 }), { b: 2 });
});

test('the client validates events and state snapshots and updates', () => {
  const ok = (m: unknown) => validateServerMessage(m).ok;
  assert.ok(ok({ op: 'snapshot', topic: 'events:c', epoch: 'e', seq: 1, data: { channel: 'c', max: 100, events: [{ type: 't', time: 1, data: null }] } }));
  assert.ok(!ok({ op: 'snapshot', topic: 'events:c', epoch: 'e', seq: 1, data: { channel: 'c', max: 100, events: [{ type: '', time: 1, data: 1 }] } }));
  assert.ok(ok({ op: 'update', topic: 'events:c', seq: 2, time: 1, data: { type: 't', time: 1, id: 'x', data: { a: 1 } } }));
  assert.ok(!ok({ op: 'update', topic: 'events:c', seq: 2, time: 1, data: { type: 't', time: 1 } }), 'data missing');
  assert.ok(ok({ op: 'snapshot', topic: 'state:k', epoch: 'e', seq: 1, data: { any: ['json'] } }));
  assert.ok(ok({ op: 'update', topic: 'state:k', seq: 2, time: 1, data: { any: null } }));
  assert.ok(!ok({ op: 'update', topic: 'state:k', seq: 2, time: 1, data: [1] }));
});
