/** What every HTTP route shares: the error it throws, JSON answers, bearer checks and bounded body reading. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../src/protocol/index.js';
import { timingSafeEqual } from 'node:crypto';
import { bearerToken, sameSecret, sha256 } from './auth.js';

/** Largest request body accepted (`POST /api/trades` and the publishing routes). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Every `code` an HTTP error answer carries: the protocol's codes plus the HTTP-only ones. */
export type HttpErrorCode =
  | ErrorCode
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'method_not_allowed'
  | 'not_found'
  | 'internal';

/** A refusal: the status, the error code (`bad_request`, `unauthorized`, ...) and headers to add. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** True when the request carries `Authorization: Bearer <expected>` (compared in constant time). */
export function hasBearer(req: IncomingMessage, expected: string): boolean {
  const given = bearerToken(req.headers.authorization);
  // Compare even when the header is missing, so both paths cost the same.
  return sameSecret(given ?? '', expected) && given !== undefined;
}

/**
 * `hasBearer` for one secret, its digest computed once: the publishing routes check it on
 * every request. Constant time, the same cost with or without a header.
 */
export function bearerChecker(expected: string): (req: IncomingMessage) => boolean {
  const want = sha256(expected);
  return (req) => {
    const given = bearerToken(req.headers.authorization);
    return timingSafeEqual(sha256(given ?? ''), want) && given !== undefined;
  };
}

/**
 * The publish token check every publishing route makes, in its order: publishing off
 * without a token (403), then `Authorization: Bearer <token>` (401). Throws; returns when allowed.
 */
export function publishGuard(publishToken: string | undefined): (req: IncomingMessage) => void {
  const tokenOk = publishToken === undefined ? undefined : bearerChecker(publishToken);
  return (req) => {
    if (!tokenOk) throw new HttpError(403, 'forbidden', 'publishing is disabled (start the server with --publish-token)');
    if (!tokenOk(req)) throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token', { 'WWW-Authenticate': 'Bearer' });
  };
}

/** The request body parsed as JSON (bounded by `limit`: 413); 400 when it is not JSON. */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readBody(req, limit);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad_request', 'body is not valid JSON');
  }
}

export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpError(413, 'payload_too_large', `body over ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, 'payload_too_large', `body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

