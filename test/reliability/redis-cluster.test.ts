/**
 * Several server nodes on Redis (issue 14): a page streams through a TCP proxy in front of
 * three nodes (child processes, test/support/browser/redis-cluster-plugin.mjs) while a
 * publisher posts to the nodes in turn and the test SIGKILLs the node the page is on, three
 * times. Every listener gets every update exactly once, in one epoch, with no reset: each
 * reconnect resumes on another node with `recovered: true`.
 */
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { getStream } from '../../src/stream/index.js';
import { waitFor } from '../support/browser/server.js';
import { countUpdates, topicRecorder, uniqueUrl, type TopicLog } from './helpers.js';

const TOPICS = ['candles:RC-1:1s', 'candles:RC-1:1m', 'events:rc'];
const KILLS = 3;

describe('several server nodes on Redis behind a load balancer', function () {
  this.timeout(120_000);

  it(`a page across ${KILLS} node kills: every listener gets every update once within its epoch, resumed without a reset`, async () => {
    const { url } = await executeServerCommand<{ url: string }, void>('redis-cluster-start');
    const stream = getStream(uniqueUrl(url, 'redis'), { backoffBaseMs: 50, backoffMaxMs: 500 });
    const logs = new Map<string, TopicLog>();
    for (const topic of TOPICS) {
      const { listener, log } = topicRecorder();
      logs.set(topic, log);
      stream.subscribe(topic, listener, { coalesce: 'none' });
    }
    const first = logs.get(TOPICS[0]!)!;
    try {
      await waitFor(() => TOPICS.every((topic) => stream.getTopicState(topic)), 15_000, 'every topic held');
      await executeServerCommand<number, { on: boolean }>('redis-cluster-publish', { on: true });
      let killed = 0;
      for (let i = 0; i < KILLS; i++) {
        const before = countUpdates(first);
        await waitFor(() => countUpdates(first) >= before + 10, 15_000, `ten updates before kill ${i + 1}`);
        killed += await executeServerCommand<number, void>('redis-cluster-kill');
      }
      const before = countUpdates(first);
      await waitFor(() => countUpdates(first) >= before + 10, 15_000, 'ten updates after the last kill');
      await executeServerCommand<number, { on: boolean }>('redis-cluster-publish', { on: false });
      for (const topic of TOPICS) {
        await waitFor(
          async () => {
            const server = await executeServerCommand<{ epoch: string; seq: number }, { topic: string }>('redis-cluster-snapshot', { topic });
            const local = stream.getTopicState(topic);
            return local && local.epoch === server.epoch && local.seq === server.seq;
          },
          15_000,
          `${topic} at the server's seq`,
        );
      }
      expect(killed, 'nodes killed under the page').to.be.at.least(KILLS);
      for (const topic of TOPICS) {
        const log = logs.get(topic)!;
        expect(log.problems, topic).to.deep.equal([]);
        expect(log.seqs.size, `${topic}: one epoch`).to.equal(1);
        const seqs = [...log.seqs.values()][0]!;
        expect(
          seqs.every((seq, i) => seq === seqs[0]! + i),
          `${topic}: every seq once, in order`,
        ).to.equal(true);
        expect(
          log.states.map((s) => s.kind),
          `${topic}: one snapshot, no reset`,
        ).to.deep.equal(['snapshot']);
      }
    } finally {
      await executeServerCommand<number, { on: boolean }>('redis-cluster-publish', { on: false });
      stream.close();
    }
  });
});
