/** events: and state: topics through the real stream and the real server: typed states, equal to the server's after every update. */
import { expect } from '@open-wc/testing';
import type { EventEnvelope, JsonObject } from '../../src/protocol/index.js';
import type { DocumentTopicState, EventsTopicState, TopicEvent } from '../../src/stream/index.js';
import { fetchSnapshot, publishHttp, waitFor } from '../support/browser/server.js';
import { closeOpenStreams, freshStream } from './helpers.js';

const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

describe('events: and state: topics', function () {
  this.timeout(20_000);
  afterEach(() => closeOpenStreams());

  it('subscribe("state:…") keeps a document equal to GET /api/snapshot after every merge patch', async () => {
    const key = unique('risk');
    expect((await publishHttp(`/api/state/${key}`, { var: 1, limits: { a: 1, b: 2 } }, 'PUT')).status).to.equal(200);
    const stream = await freshStream();
    const seen: Array<DocumentTopicState<JsonObject>> = [];
    stream.subscribe(`state:${key}`, (event) => seen.push({ ...event.state, data: structuredClone(event.state.data) }), { coalesce: 'none' });
    await waitFor(() => seen.length === 1, 5000, 'the document');
    const patches: JsonObject[] = [{ var: 2 }, { limits: { b: null, c: { deep: [1, 2] } } }, { extra: 'x', var: null }];
    for (const patch of patches) {
      const answer = await publishHttp(`/api/state/${key}`, patch, 'PATCH', 'application/merge-patch+json');
      await waitFor(() => seen[seen.length - 1]!.seq === answer.body.seq, 5000, `seq ${answer.body.seq}`);
      const rest = await fetchSnapshot<JsonObject>(`state:${key}`);
      expect(seen[seen.length - 1]!.data).to.deep.equal(rest.data);
    }
    expect(seen[seen.length - 1]!.data).to.deep.equal({ limits: { a: 1, c: { deep: [1, 2] } }, extra: 'x' });
  });

  it('subscribe("events:…") gives the event list and each new event as an update; a retried id arrives once', async () => {
    const channel = unique('bus');
    await publishHttp(`/api/events/${channel}`, { type: 'start', id: 'e0', data: { n: 0 } });
    const stream = await freshStream();
    const events: Array<TopicEvent<EventsTopicState['data'], EventEnvelope>> = [];
    stream.subscribe(`events:${channel}`, (event) => events.push(event), { coalesce: 'none' });
    await waitFor(() => events.length === 1, 5000, 'the event list');
    expect(events[0]!.state.data.events.map((e) => e.type)).to.deep.equal(['start']);
    await publishHttp(`/api/events/${channel}`, [{ type: 'step', id: 'e1', data: { n: 1 } }, { type: 'step', id: 'e0', data: { n: 0 } }]);
    await publishHttp(`/api/events/${channel}`, { type: 'step', id: 'e1', data: { n: 1 } });
    await publishHttp(`/api/events/${channel}`, { type: 'done', data: { n: 2 } });
    await waitFor(() => events[events.length - 1]!.state.seq === 3, 5000, 'seq 3');
    expect(events.filter((e) => e.kind === 'update').map((e) => e.update!.data.type)).to.deep.equal(['step', 'done']);
    const rest = await fetchSnapshot<EventsTopicState['data']>(`events:${channel}`);
    expect(events[events.length - 1]!.state.data).to.deep.equal(rest.data);
  });
});
