// close(): a closing phase, so a second close() waits for the first instead of returning early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { CloseCode } from '../../src/protocol/index.js';
import { startMarketServer } from '../../server/app.js';
import { TestClient } from '../support/node/server.js';

test('a second close() returns the first one\'s promise and resolves only once clients are closed and the port is free', async () => {
  const server = await startMarketServer({ port: 0, feed: 'none' });
  const client = await TestClient.connect(server);
  let clientClosed: number | undefined;
  void client.closed.then((closed) => (clientClosed = closed.code));
  const first = server.close();
  const second = server.close();
  assert.equal(second, first);
  await second;
  assert.equal(clientClosed, CloseCode.GoingAway);
  // The port is closed: a new connection is refused at the TCP level.
  const probe = new WebSocket(server.url);
  const outcome = await new Promise<string>((resolve) => {
    probe.once('open', () => resolve('open'));
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
  assert.equal(outcome, 'ECONNREFUSED');
  // Later calls still get the same, settled promise.
  assert.equal(server.close(), first);
});

test('while closing, new upgrades get 503 shutting_down', async () => {
  const server = await startMarketServer({ port: 0, feed: 'none' });
  // A client that never answers the close frame keeps the server in its closing phase for the grace period.
  const client = await TestClient.connect(server);
  client.ws.pause();
  const closed = server.close();
  await assert.rejects(TestClient.connect(server), /upgrade refused: 503/);
  await closed;
});
