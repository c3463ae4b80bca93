/**
 * The REST side: snapshots, health, metrics, trade publishing (other publishing: server/publish-http.ts), dev controls and
 * (with `staticRoot`) the demo page. JSON answers; errors are `{error, code, message}`
 * (`code` repeats `error`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { validateTrade, type Trade } from '../src/protocol/index.js';
import { bearerToken, grantAllows, normalizeOrigin, sameSecret, type Grant, type TokenVerifier } from './auth.js';
export { MAX_BODY_BYTES } from './http-util.js';
import type { ServerMetrics } from './metrics.js';
import type { DevControls } from './dev-controls.js';
import type { Engine } from './engine/engine.js';
import { HttpError, hasBearer, publishGuard, readJsonBody, sendJson } from './http-util.js';
import { publishRoutes, type PublishRouteContext } from './publish-http.js';
import { serveStatic } from './static.js';
import { copyTrade, type TradesResult } from './trade-ids.js';
import { checkTopicName, unknownTopicMessage } from './topic-names.js';

/** Longest dev-control duration accepted (`ms`), so a typo cannot wedge a server for days. */
export const MAX_CONTROL_MS = 10 * 60 * 1000;

export interface HttpContext {
  engine: Engine;
  metrics: ServerMetrics;
  publishToken: string | undefined;
  /** Set only when dev controls are enabled. */
  controls: DevControls | undefined;
  /** When set, /admin/* needs `Authorization: Bearer <adminToken>`. */
  adminToken?: string | undefined;
  staticRoot: string | undefined;
  /**
   * Auth on (`--auth-secret`): `GET /api/snapshot` needs `Authorization: Bearer <JWT>`,
   * verified like the hello token, and answers only topics its `topics` claim grants.
   */
  auth?: TokenVerifier | undefined;
  /**
   * `--allowed-origins` (normalised): `/api/*` CORS answers echo a listed `Origin` and
   * allow no other; without a list every origin gets `*`.
   */
  allowedOrigins?: ReadonlySet<string> | undefined;
  /** Folds checked trades; says how many were applied and how many dropped as duplicates of a known id. */
  publishTrades(trades: Trade[]): TradesResult | Promise<TradesResult>;
  /** The engine's health when it depends on something else (Redis): degraded answers /healthz with 503. */
  health?: () => { up: boolean };
  /** The publishing routes (`/api/events/…`, `/api/state/…`, `/api/portfolio/…`). */
  publishing: Omit<PublishRouteContext, 'publishToken'>;
  connections(): number;
  log(line: string): void;
}

/** What a preflight for `GET /api/*` with an `Authorization` header needs besides the origin. */
const PREFLIGHT = {
  'Access-Control-Allow-Methods': 'GET',
  'Access-Control-Allow-Headers': 'authorization',
  'Access-Control-Max-Age': '600',
};

export { sameSecret };

function parseMs(value: string | null): number {
  const ms = Number(value);
  if (value === null || value === '' || !Number.isSafeInteger(ms) || ms < 0 || ms > MAX_CONTROL_MS)
    throw new HttpError(400, 'bad_request', `ms must be an integer from 0 to ${MAX_CONTROL_MS}`);
  return ms;
}

/** `drop=1` (or `true`) on a dev control: also drop every open socket. */
function wantsDrop(query: URLSearchParams): boolean {
  const drop = query.get('drop');
  return drop === '1' || drop === 'true';
}

export function createHttpHandler(ctx: HttpContext): (req: IncomingMessage, res: ServerResponse) => void {
  const servePublish = publishRoutes({ ...ctx.publishing, publishToken: ctx.publishToken });
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const isGet = method === 'GET' || method === 'HEAD';

    if (path.startsWith('/api/') && method === 'OPTIONS') {
      res.writeHead(204, { ...corsFor(req), ...PREFLIGHT }).end();
      return;
    }
    if (path === '/api/snapshot') {
      const cors = corsFor(req);
      if (!isGet) throw new HttpError(405, 'method_not_allowed', 'use GET', { Allow: 'GET', ...cors });
      // Same order as a `sub` on the socket: token, well-formed topic, grant, lookup.
      const grant = ctx.auth ? await snapshotGrant(ctx.auth, req, cors) : undefined;
      const name = url.searchParams.get('topic');
      if (!name) throw new HttpError(400, 'bad_request', 'missing ?topic=', cors);
      const checked = checkTopicName(name);
      if (!checked.ok) throw new HttpError(400, checked.code, checked.message, cors);
      // Checked before the lookup, so a token cannot probe which topics exist.
      if (grant && !grantAllows(grant, name)) throw new HttpError(403, 'forbidden', 'your token does not grant this topic', cors);
      if (!(await ctx.engine.has(name))) throw new HttpError(404, 'unknown_topic', unknownTopicMessage(checked.topic), cors);
      const { epoch, seq, data } = await ctx.engine.snapshot(name);
      sendJson(res, 200, { topic: name, epoch, seq, data }, cors);
      return;
    }
    if (path === '/api/trades') {
      if (method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'use POST', { Allow: 'POST' });
      await publish(req, res);
      return;
    }
    if (path.startsWith('/api/') && (await servePublish(req, res, path))) return;
    if (path === '/healthz' && isGet) {
      const up = ctx.health?.().up ?? true;
      sendJson(res, up ? 200 : 503, {
        status: up ? 'ok' : 'degraded',
        ...(ctx.health ? { redis: up ? 'up' : 'down' } : {}),
        epoch: ctx.engine.epoch,
        connections: ctx.connections(),
        topics: ctx.engine.topicCount,
      });
      return;
    }
    if (path === '/metrics' && isGet) {
      const text = await ctx.metrics.text();
      res.writeHead(200, { 'Content-Type': ctx.metrics.contentType, 'Cache-Control': 'no-store' }).end(text);
      return;
    }
    if (path.startsWith('/admin/') && ctx.controls) {
      if (ctx.adminToken !== undefined && !hasBearer(req, ctx.adminToken))
        throw new HttpError(401, 'unauthorized', 'missing or wrong admin bearer token', { 'WWW-Authenticate': 'Bearer' });
      if (method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'use POST', { Allow: 'POST' });
      await admin(ctx.controls, path, url.searchParams, res);
      return;
    }
    if (isGet && ctx.staticRoot && (await serveStatic(ctx.staticRoot, path, req, res))) return;
    throw new HttpError(404, 'not_found', `nothing at ${method} ${path.slice(0, 200)}`);
  };

  /**
   * CORS headers for an `/api/*` answer: `*` without an allow-list; with one, the
   * request's Origin echoed when it is listed and no grant otherwise (`Vary: Origin`
   * either way, so caches keep answers per origin).
   */
  const corsFor = (req: IncomingMessage): Record<string, string> => {
    const allowed = ctx.allowedOrigins;
    if (!allowed) return { 'Access-Control-Allow-Origin': '*' };
    const origin = req.headers.origin;
    if (origin !== undefined && allowed.has(normalizeOrigin(origin) ?? '')) return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
    return { Vary: 'Origin' };
  };

  /** The grant of the request's bearer JWT, checked exactly like a hello token; 401 when there is none. */
  const snapshotGrant = async (auth: TokenVerifier, req: IncomingMessage, cors: Record<string, string>): Promise<Grant> => {
    const result = await auth.verify(bearerToken(req.headers.authorization));
    // Fixed reasons only: the token is never echoed or logged.
    if (!result.ok) throw new HttpError(401, 'unauthorized', result.reason, { 'WWW-Authenticate': 'Bearer', ...cors });
    return result.grant;
  };

  const publishAllowed = publishGuard(ctx.publishToken);
  const publish = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    publishAllowed(req);
    const body = await readJsonBody(req);
    if (!Array.isArray(body)) throw new HttpError(400, 'bad_request', 'body must be a JSON array of trades');
    const trades: Trade[] = [];
    for (let i = 0; i < body.length; i++) {
      const error = validateTrade(body[i]);
      if (error) throw new HttpError(400, 'bad_request', `trades[${i}]: ${error}`);
      trades.push(copyTrade(body[i] as Trade));
    }
    const { accepted, duplicates } = await ctx.publishTrades(trades);
    sendJson(res, 200, { accepted, duplicates });
  };

  const admin = async (controls: DevControls, path: string, query: URLSearchParams, res: ServerResponse): Promise<void> => {
    switch (path) {
      case '/admin/drop':
        sendJson(res, 200, { dropped: controls.dropAll() });
        return;
      case '/admin/refuse': {
        const ms = parseMs(query.get('ms'));
        controls.refuseUpgrades(ms);
        // `drop=1`: also close the open sockets, so the refusal is felt at once (the demo's button).
        if (wantsDrop(query)) sendJson(res, 200, { refusing: ms, dropped: controls.dropAll() });
        else sendJson(res, 200, { refusing: ms });
        return;
      }
      case '/admin/restart':
        sendJson(res, 200, controls.restart());
        return;
      case '/admin/silence': {
        const ms = parseMs(query.get('ms'));
        controls.silence(ms);
        sendJson(res, 200, { silenced: ms });
        return;
      }
      case '/admin/stall': {
        const ms = parseMs(query.get('ms'));
        controls.stallHandshakes(ms);
        // `drop=1`: the open sockets reconnect straight into the stall.
        if (wantsDrop(query)) sendJson(res, 200, { stalling: ms, dropped: controls.dropAll() });
        else sendJson(res, 200, { stalling: ms });
        return;
      }
      case '/admin/gap': {
        const name = query.get('topic') ?? '';
        const checked = checkTopicName(name);
        if (!checked.ok) throw new HttpError(400, checked.code, checked.message);
        if (!(await ctx.engine.has(name))) throw new HttpError(404, 'unknown_topic', unknownTopicMessage(checked.topic));
        controls.injectGap(name);
        sendJson(res, 200, { gap: name });
        return;
      }
      default:
        throw new HttpError(404, 'not_found', `no admin action ${path.slice(0, 100)}`);
    }
  };

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        // Say we close, and drain what the client still sends, so a 413 reaches it.
        if (error.status === 413) {
          res.setHeader('Connection', 'close');
          req.resume();
        }
        sendJson(res, error.status, { error: error.code, code: error.code, message: error.message }, error.headers);
        return;
      }
      // The engine's store (Redis) is not reachable: try again later, or on another node.
      if (error instanceof Error && error.name === 'EngineUnavailableError') {
        sendJson(res, 503, { error: 'unavailable', code: 'unavailable', message: error.message }, { 'Retry-After': '1' });
        return;
      }
      // The path only: a query string may hold something secret.
      const path = (req.url ?? '').split('?')[0]!.slice(0, 200);
      ctx.log(`http error on ${req.method} ${path}: ${error instanceof Error ? error.message : String(error)}`);
      sendJson(res, 500, { error: 'internal', message: 'internal server error' });
    });
  };
}
