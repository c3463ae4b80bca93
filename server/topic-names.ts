/** The answers to a topic name a client sent: not well-formed (`bad_request`), or well-formed and unknown (`unknown_topic`). */
import { parseTopic, type ParsedTopic } from '../src/protocol/index.js';

export type TopicNameCheck = { ok: true; topic: ParsedTopic } | { ok: false; code: 'bad_request'; message: string };

export function checkTopicName(name: string): TopicNameCheck {
  const parsed = parseTopic(name);
  return parsed.ok ? parsed : { ok: false, code: 'bad_request', message: `bad topic: ${parsed.reason}` };
}

/** The message of `unknown_topic` for a well-formed name the engine does not have. */
export function unknownTopicMessage(topic: ParsedTopic): string {
  switch (topic.kind) {
    case 'candles':
      return `no such topic: unknown symbol ${topic.symbol}`;
    case 'portfolio':
      return `no such topic: unknown account ${topic.account} (nothing published for it yet)`;
    case 'events':
      return `no such topic: nothing published on channel ${topic.channel} yet`;
    case 'state':
      return `no such topic: no document ${topic.key} published yet`;
  }
}
