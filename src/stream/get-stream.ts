import { MarketStream } from './market-stream.js';
import { streamRegistry } from './registry.js';
import type { StreamOptions } from './types.js';
import { normaliseStreamUrl } from './url.js';

/**
 * The page's one stream for `url` (normalised, see normaliseStreamUrl), created on first
 * use. Options apply when the stream is created; a later call for an existing stream
 * ignores its options (the first caller configures the connection everyone shares).
 * Throws a TypeError for a URL that is not ws(s)/http(s).
 */
export function getStream(url: string, options?: StreamOptions): MarketStream {
  const key = normaliseStreamUrl(url);
  const registry = streamRegistry<MarketStream>();
  const existing = registry.get(key);
  if (existing) return existing;
  const stream = new MarketStream(key, options);
  registry.set(key, stream);
  return stream;
}
