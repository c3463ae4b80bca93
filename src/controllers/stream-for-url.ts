/** The one place the controllers turn a data URL into the page's shared stream. */
import { getStream, type MarketStream, type StreamError } from '../stream/index.js';

/** The stream for `url`, or the `bad_url` error that every controller and element reports alike. */
export function streamForUrl(url: string): { stream: MarketStream } | { error: StreamError } {
  try {
    return { stream: getStream(url) };
  } catch (thrown) {
    const reason = thrown instanceof Error ? thrown.message : String(thrown);
    return { error: { code: 'bad_url', message: `Cannot use data source ${url}: ${reason}` } };
  }
}
