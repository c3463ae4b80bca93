/**
 * Every error code a client of this kit can meet, in one union: the server's (`error` frames,
 * refused polls) and the ones the browser side raises itself. `StreamError.code`, element
 * errors and `lmw-error` details all use it; docs/stream.md and docs/elements.md describe each.
 */
import { ERROR_CODES } from '../protocol/index.js';

export const CLIENT_ERROR_CODES = [
  // the stream
  'bad_url',
  'closed',
  'bad_frame',
  'connect_failed',
  'connection_dead',
  'gave_up',
  'token_error',
  'refresh_rejected',
  'send_failed',
  'poll_failed',
  'listener_error',
  'internal_error',
  // the elements
  'no_source',
  'bad_attribute',
  'chart_load_failed',
] as const;

export const STREAM_ERROR_CODES = [...ERROR_CODES, ...CLIENT_ERROR_CODES] as const;
export type StreamErrorCode = (typeof STREAM_ERROR_CODES)[number];
