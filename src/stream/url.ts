/** Stream URL normalisation: one stream per normalised URL, and the HTTP base for polling. */
import { STREAM_PATH } from '../protocol/index.js';

/**
 * Normalises a stream URL so that spellings of the same endpoint share one stream:
 * scheme and host lower-cased (the URL parser does this), `http(s)` mapped to `ws(s)`,
 * default ports dropped, path `/stream` when none is given, trailing slashes stripped,
 * fragment dropped. The query string is kept (it is part of the endpoint's identity).
 * Relative URLs resolve against the page's location when there is one.
 * Throws a TypeError with a readable message for anything that is not a ws/http URL.
 */
export function normaliseStreamUrl(input: string): string {
  if (typeof input !== 'string' || input.trim() === '') throw new TypeError('stream URL must be a non-empty string');
  const base = typeof location !== 'undefined' && typeof location.href === 'string' ? location.href : undefined;
  let url: URL;
  try {
    url = new URL(input.trim(), base);
  } catch {
    throw new TypeError(`invalid stream URL "${input.slice(0, 200)}"`);
  }
  const scheme = url.protocol === 'http:' ? 'ws:' : url.protocol === 'https:' ? 'wss:' : url.protocol;
  if (scheme !== 'ws:' && scheme !== 'wss:') throw new TypeError(`stream URL must use ws, wss, http or https, not ${url.protocol}`);
  if (url.username || url.password) throw new TypeError('stream URL must not carry credentials (use the token option)');
  let path = url.pathname.replace(/\/+$/, '');
  if (path === '') path = STREAM_PATH;
  const port = url.port && !isDefaultPort(scheme, url.port) ? `:${url.port}` : '';
  return `${scheme}//${url.hostname.toLowerCase()}${port}${path}${url.search}`;
}

function isDefaultPort(scheme: string, port: string): boolean {
  return (scheme === 'ws:' && port === '80') || (scheme === 'wss:' && port === '443');
}

/**
 * The HTTP base of a normalised stream URL, for the REST endpoints (`/api/snapshot`):
 * `ws://h:1/stream` -> `http://h:1`, `wss://h/feed/stream` -> `https://h/feed`.
 * The query string is not carried over.
 */
export function httpBaseOf(streamUrl: string): string {
  const url = new URL(streamUrl);
  const scheme = url.protocol === 'wss:' ? 'https:' : 'http:';
  let path = url.pathname;
  if (path.endsWith(STREAM_PATH)) path = path.slice(0, -STREAM_PATH.length);
  path = path.replace(/\/+$/, '');
  return `${scheme}//${url.host}${path}`;
}
