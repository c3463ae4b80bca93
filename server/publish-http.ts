/**
 * The publishing routes: `POST /api/events/<CHANNEL>`, `PUT` and `PATCH /api/state/<KEY>`,
 * `POST /api/portfolio/<ACCOUNT>`. All behind the publish token, checked in this order:
 * publishing on (403), token (401), rate (429), content type (415), body size (413),
 * JSON and fields (400). The body goes to the Publisher, which applies it whole or not at all.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, publishGuard, readJsonBody, sendJson } from './http-util.js';
import { PublishError, type PublishResult } from './publisher.js';
import type { PublishRateLimiter } from './publish-rate.js';

/** What the routes publish through: the Publisher (memory engine, answers at once) or the Redis one (server/redis-publisher.ts). */
export type PublishApi = {
  [K in 'publishEvent' | 'putState' | 'patchState' | 'portfolio']: (name: string, body: unknown) => PublishResult | Promise<PublishResult>;
};

export interface PublishRouteContext {
  publishToken: string | undefined;
  publisher: PublishApi;
  rate: PublishRateLimiter;
}

const JSON_TYPE = 'application/json';
const MERGE_PATCH_TYPE = 'application/merge-patch+json';

interface Route {
  method: string;
  contentType: string;
  run(publisher: PublishApi, name: string, body: unknown): PublishResult | Promise<PublishResult>;
}

const ROUTES: Record<string, readonly Route[]> = {
  events: [{ method: 'POST', contentType: JSON_TYPE, run: (p, name, body) => p.publishEvent(name, body) }],
  state: [
    { method: 'PUT', contentType: JSON_TYPE, run: (p, name, body) => p.putState(name, body) },
    { method: 'PATCH', contentType: MERGE_PATCH_TYPE, run: (p, name, body) => p.patchState(name, body) },
  ],
  portfolio: [{ method: 'POST', contentType: JSON_TYPE, run: (p, name, body) => p.portfolio(name, body) }],
};

/** The media type of a Content-Type header, lower case, without parameters. */
function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The publishing routes: the returned function serves `path` when it is one (true), else leaves it (false). */
export function publishRoutes(ctx: PublishRouteContext): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean> {
  const guard = publishGuard(ctx.publishToken);
  return (req, res, path) => servePublish(ctx, guard, req, res, path);
}

async function servePublish(
  ctx: PublishRouteContext,
  guard: (req: IncomingMessage) => void,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  const match = /^\/api\/(events|state|portfolio)\/(.*)$/.exec(path);
  if (!match) return false;
  const routes = ROUTES[match[1]!]!;
  const method = req.method ?? 'GET';
  const route = routes.find((r) => r.method === method);
  if (!route) {
    const allow = routes.map((r) => r.method).join(', ');
    throw new HttpError(405, 'method_not_allowed', `use ${allow}`, { Allow: allow });
  }
  guard(req);
  if (!ctx.rate.take())
    throw new HttpError(429, 'rate_limited', `publishing faster than ${ctx.rate.rate} requests/s`, { 'Retry-After': String(ctx.rate.retryAfter()) });
  const given = mediaType(req.headers['content-type']);
  if (given !== route.contentType)
    throw new HttpError(415, 'unsupported_media_type', `${method} ${match[1]} takes Content-Type: ${route.contentType}${given ? `, got ${given.slice(0, 80)}` : ''}`);
  const body = await readJsonBody(req);
  let result: PublishResult;
  try {
    result = await route.run(ctx.publisher, decodeURIComponent(match[2]!), body);
  } catch (error) {
    if (error instanceof PublishError) throw new HttpError(400, 'bad_request', error.message);
    if (error instanceof URIError) throw new HttpError(400, 'bad_request', 'bad name in the path');
    throw error;
  }
  sendJson(res, 200, result);
  return true;
}
