/** events: and state: topics in the shared protocol module: names, merge patches, validators, appliers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyMergePatch,
  applyUpdateOfKind,
  jsonDocumentError,
  jsonEqual,
  mergePatchBetween,
  parseTopic,
  validateServerMessage,
  type JsonObject,
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
