/**
 * Every WebSocket upgrade refusal, in order: path, shutting down, refusing window,
 * origin, max connections, per IP. It happens before the handshake, so nothing is
 * allocated for a refused client.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { STREAM_PATH } from '../src/protocol/index.js';
import { clientAddress, normalizeOrigin } from './auth.js';
import type { ServerMetrics } from './metrics.js';
import type { SessionSet } from './session-set.js';

export interface UpgradeGateOptions {
  allowedOrigins: Set<string> | undefined;
  maxConnections: number;
  maxConnectionsPerIp: number;
  sessions: SessionSet;
  metrics: ServerMetrics;
  /** True once the server is closing. */
  closing(): boolean;
  /** True while the dev control `refuse` is on. */
  refusing(now: number): boolean;
  /** Completes the handshake for an admitted client. */
  admit(req: IncomingMessage, socket: Duplex, head: Buffer, address: string): void;
}

function refuse(socket: Duplex, status: number, text: string, extra = ''): void {
  const body = `${status} ${text}\n`;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`);
}

/** The `upgrade` listener for the HTTP server. */
export function upgradeGate(gate: UpgradeGateOptions): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const { allowedOrigins, maxConnections, maxConnectionsPerIp, sessions, metrics } = gate;
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const refuseFor = (reason: string, status: number, text: string, extra?: string) => {
      metrics.upgradeRefused(reason);
      refuse(socket, status, text, extra);
    };
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== STREAM_PATH) return refuseFor('not_found', 404, 'Not Found');
    if (gate.closing()) return refuseFor('shutting_down', 503, 'Service Unavailable', 'Retry-After: 1\r\n');
    if (gate.refusing(Date.now())) return refuseFor('refusing', 503, 'Service Unavailable', 'Retry-After: 1\r\n');
    const origin = req.headers.origin;
    // No Origin header: not a browser (browsers always send it on WebSocket upgrades).
    if (allowedOrigins && origin !== undefined && !allowedOrigins.has(normalizeOrigin(origin) ?? '')) return refuseFor('origin', 403, 'Forbidden');
    if (maxConnections > 0 && sessions.size >= maxConnections) return refuseFor('max_connections', 503, 'Service Unavailable', 'Retry-After: 5\r\n');
    const address = clientAddress(req.socket.remoteAddress);
    if (maxConnectionsPerIp > 0 && sessions.countFor(address) >= maxConnectionsPerIp)
      return refuseFor('max_connections_per_ip', 429, 'Too Many Requests', 'Retry-After: 5\r\n');
    // handleUpgrade completes synchronously (no verifyClient), so the counts above cannot race.
    gate.admit(req, socket, head, address);
  };
}
