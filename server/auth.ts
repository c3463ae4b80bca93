/**
 * Token auth for the stream (`--auth-secret`): HS256 JWTs verified with `jose`,
 * carrying `exp` and a `topics` claim of topic patterns. Also the small helpers the
 * HTTP side needs: constant-time secret comparison and loopback detection.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';

/** Most patterns a `topics` claim may hold (a bigger claim is a bad token). */
export const MAX_TOPIC_PATTERNS = 256;
/** Longest pattern accepted in a `topics` claim. */
export const MAX_PATTERN_LENGTH = 128;

/**
 * A compiled topic pattern. A pattern is split on `:` into segments; the topic is split
 * the same way. A literal segment matches the same segment exactly (case-sensitive); a
 * `*` segment matches exactly one non-empty segment, except as the LAST segment, where
 * it matches one or more segments (the rest of the topic). `*` inside a segment (`BTC*`)
 * is not a wildcard and makes the pattern invalid.
 *   candles:*           every candle topic
 *   candles:BTC-USD:*   every interval of BTC-USD
 *   candles:*:1m        every symbol, 1m only
 *   portfolio:alice     exactly that account
 *   *                   every topic
 */
export type TopicPattern = readonly string[];

/** Compiles one pattern, or returns null when it is not valid. */
export function compilePattern(pattern: unknown): TopicPattern | null {
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) return null;
  const segments = pattern.split(':');
  for (const segment of segments) {
    if (segment === '') return null;
    if (segment !== '*' && segment.includes('*')) return null;
  }
  return segments;
}

export function patternMatches(pattern: TopicPattern, topic: string): boolean {
  const parts = topic.split(':');
  const last = pattern.length - 1;
  for (let i = 0; i < pattern.length; i++) {
    const segment = pattern[i]!;
    if (i >= parts.length) return false;
    if (segment === '*') {
      if (parts[i] === '') return false;
      if (i === last) return true; // the rest of the topic, one or more segments
      continue;
    }
    if (segment !== parts[i]) return false;
  }
  return parts.length === pattern.length;
}

/** What a valid token grants: until when, and which topics. */
export interface Grant {
  /** Token expiry, epoch seconds (the JWT `exp`). */
  exp: number;
  topics: TopicPattern[];
}

export function grantAllows(grant: Grant, topic: string): boolean {
  return grant.topics.some((pattern) => patternMatches(pattern, topic));
}

export type VerifyResult = { ok: true; grant: Grant } | { ok: false; reason: string };

/**
 * Verifies hello and refresh tokens. Reasons are fixed texts: they never echo the
 * token or claim values, so they are safe in error frames and logs.
 */
export class TokenVerifier {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    if (secret.length === 0) throw new Error('auth secret must not be empty');
    this.key = new TextEncoder().encode(secret);
  }

  async verify(token: string | undefined, now = Date.now()): Promise<VerifyResult> {
    if (token === undefined || token === '') return { ok: false, reason: 'a token is required' };
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp'],
        currentDate: new Date(now),
      }));
    } catch (error) {
      return { ok: false, reason: describeJoseError(error) };
    }
    const exp = payload.exp;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return { ok: false, reason: 'token has no valid "exp" claim' };
    const claim = payload.topics;
    if (!Array.isArray(claim)) return { ok: false, reason: 'token has no "topics" claim (an array of topic patterns)' };
    if (claim.length > MAX_TOPIC_PATTERNS) return { ok: false, reason: `token "topics" claim has more than ${MAX_TOPIC_PATTERNS} patterns` };
    const topics: TopicPattern[] = [];
    for (const item of claim) {
      const pattern = compilePattern(item);
      if (!pattern) return { ok: false, reason: 'token "topics" claim holds an invalid pattern' };
      topics.push(pattern);
    }
    return { ok: true, grant: { exp, topics } };
  }
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm not allowed (HS256 only)';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return error.reason === 'missing' ? `token has no "${error.claim.slice(0, 16)}" claim` : `token "${error.claim.slice(0, 16)}" claim check failed`;
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return 'token is not a valid JWT';
  return 'token rejected';
}

/** Constant-time comparison of two secrets (hashing first makes the lengths equal). */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** SHA-256 in one call (no Hash object per check): secrets are compared by digest, so their lengths do not show. */
export function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer') as unknown as Buffer;
}

/** The bearer token of an `Authorization` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer (.+)$/i.exec(header ?? '');
  return match?.[1];
}

/** True for hosts that only the local machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

/** The serialised origin (`scheme://host[:port]`, lower case) of an Origin header or list entry. */
export function normalizeOrigin(value: string): string | undefined {
  const text = value.trim();
  if (text === 'null') return 'null';
  try {
    const origin = new URL(text).origin;
    return origin === 'null' ? undefined : origin.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The client address as one key per machine (IPv4-mapped IPv6 folded to IPv4). */
export function clientAddress(remote: string | undefined): string {
  if (!remote) return 'unknown';
  return remote.startsWith('::ffff:') && remote.includes('.') ? remote.slice(7) : remote;
}
