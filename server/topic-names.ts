/** The answers to a topic name a client sent: not well-formed (`bad_request`), or well-formed and unknown (`unknown_topic`). */
import { parseTopic, type ParsedTopic } from '../src/protocol/index.js';

export type TopicNameCheck = { ok: true; topic: ParsedTopic } | { ok: false; code: 'bad_request'; message: string };

export function checkTopicName(name: string): TopicNameCheck {
  const parsed = parseTopic(name);
  return parsed.ok ? parsed : { ok: false, code: 'bad_request', message: `bad topic: ${parsed.reason}` };
}

/** The message of `unknown_topic` for a well-formed name the engine does not have. */
export function unknownTopicMessage(topic: ParsedTopic): string {
  return `no such topic: ${topic.kind === 'candles' ? `unknown symbol ${topic.symbol}` : `unknown account ${topic.account}`}`;
}
