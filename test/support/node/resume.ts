/**
 * Resume helpers for protocol tests: hold a topic's snapshot, then resume from it on a new
 * connection and apply the replay with the shared appliers, as the browser client would.
 */
import assert from 'node:assert/strict';
import { applyUpdateOfKind, cloneData, parseTopic } from '../../../src/protocol/index.js';
import type { Message, TestClient } from './server.js';

/** What a client holds of a topic: its epoch, seq and state. */
export interface Held {
  epoch: string;
  seq: number;
  data: unknown;
}

/** Subscribes fresh and returns the topic's snapshot (epoch, seq, data). */
export async function snapshotOf(client: TestClient, topic: string): Promise<Held> {
  const answer = await client.sub(topic);
  assert.equal(answer.op, 'subscribed', JSON.stringify(answer));
  const snapshot = await client.next((m) => m.op === 'snapshot' && m.topic === topic);
  return { epoch: snapshot.epoch, seq: snapshot.seq, data: snapshot.data };
}

/**
 * Resumes `topic` from `held`: the answer, the replayed updates (up to `subscribed.seq`), the
 * state after them, and the snapshot when the server could not recover.
 */
export async function resumeFrom(client: TestClient, topic: string, held: Held): Promise<{ answer: Message; updates: Message[]; state: unknown; snapshot: Message | undefined }> {
  const parsed = parseTopic(topic);
  assert.ok(parsed.ok, `bad topic ${topic}`);
  const answer = await client.sub(topic, { epoch: held.epoch, seq: held.seq });
  const updates: Message[] = [];
  let state = cloneData(held.data);
  let last = held.seq;
  const snapshot = answer.recovered ? undefined : await client.next((m) => m.op === 'snapshot' && m.topic === topic);
  while (answer.recovered && last < answer.seq) {
    const update = await client.next((m) => m.op === 'update' && m.topic === topic);
    updates.push(update);
    last = update.seq;
    state = applyUpdateOfKind(parsed.topic.kind, state, update.data); // a state: the applier returns a new document
  }
  return { answer, updates, state, snapshot };
}
