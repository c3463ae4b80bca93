/**
 * Token lifetime helpers for the stream's auth refresh. A token is only *read* here
 * (never verified: that is the server's job) to learn when it expires, so the stream can
 * fetch a fresh one and send `refresh` before the server closes the session with 4401.
 * Pure functions: the clock is passed in.
 */

/** Refresh when this share of the remaining lifetime has passed... */
export const REFRESH_AT_SHARE = 0.8;
/** ...but at least this long before `exp` (clock skew, a slow token function, the round trip). */
export const REFRESH_LEAD_MS = 3_000;
/** Never re-check a token sooner than this (a token function that keeps returning the same token must not spin). */
export const MIN_REFRESH_RETRY_MS = 1_000;

/**
 * `exp` of a JWT in epoch milliseconds, or undefined when `token` is not a JWT (three
 * base64url parts) with a numeric `exp` in its payload. Decodes without verifying.
 */
export function jwtExpiryMs(token: string): number | undefined {
  if (typeof token !== 'string' || token.length > 16_384) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => /^[A-Za-z0-9_-]+$/.test(part))) return undefined;
  try {
    const payload: unknown = JSON.parse(base64UrlDecode(parts[1]!));
    if (typeof payload !== 'object' || payload === null) return undefined;
    const exp = (payload as Record<string, unknown>).exp;
    return typeof exp === 'number' && Number.isFinite(exp) && exp > 0 ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long to wait before refreshing a token that expires at `expMs`, seen at `nowMs`
 * (both in the server's clock): at 80 % of the remaining lifetime, and no later than
 * `REFRESH_LEAD_MS` before expiry; at once when that moment has passed. Undefined when
 * the token has already expired (the server will close the session; reconnecting with a
 * fresh token is the way back).
 */
export function refreshDelayMs(expMs: number, nowMs: number): number | undefined {
  const remaining = expMs - nowMs;
  if (!(remaining > 0)) return undefined;
  return Math.max(0, Math.floor(Math.min(remaining * REFRESH_AT_SHARE, remaining - REFRESH_LEAD_MS)));
}

function base64UrlDecode(part: string): string {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** Replaces every occurrence of the given secrets in `text` (error messages, reasons) with `[token]`. */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 8) out = out.split(secret).join('[token]');
  return out;
}
