/** Helpers for the server suite: a real server on port 0 and a real `ws` client that records what it gets. */
import type { TestContext } from 'node:test';
import { WebSocket, type ClientOptions } from 'ws';
import { startMarketServer, type InternalServerOptions, type MarketServer } from '../../../server/app.js';

export type Message = Record<string, any>;

/** Starts a server for one test and closes it when the test ends. */
export async function serverFor(t: TestContext, options: InternalServerOptions = {}): Promise<MarketServer> {
  const server = await startMarketServer({ port: 0, ...options });
  t.after(() => server.close());
  return server;
}

export interface Closed {
  code: number;
  reason: string;
}

/** A protocol client that keeps every frame and every message, and waits for what it expects. */
export class TestClient {
  readonly ws: WebSocket;
  /** Raw text of every frame, in order. */
  readonly frames: string[] = [];
  /** Every message, batches flattened, in order. */
  readonly messages: Message[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<Closed>;
  private waiters: Array<() => void> = [];
  private nextId = 1;
  private cursor = 0;

  constructor(url: string, options?: ClientOptions) {
    this.ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data, isBinary) => {
      const text = data.toString();
      this.frames.push(isBinary ? '<binary>' : text);
      const value = JSON.parse(text) as Message | Message[];
      for (const message of Array.isArray(value) ? value : [value]) this.messages.push(message);
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
    this.ws.on('close', () => {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
  }

  /**
   * Connects; `hello` true sends a hello without token and waits for welcome, `{token}` sends
   * one with that token, `{caps}` one with those capabilities.
   */
  static async connect(
    server: Pick<MarketServer, 'url'>,
    hello: boolean | { token?: string; caps?: string[] } = true,
    options?: ClientOptions,
  ): Promise<TestClient> {
    const client = new TestClient(server.url, options);
    await client.opened;
    if (hello) {
      const { token, caps } = typeof hello === 'object' ? hello : {};
      client.send({ op: 'hello', v: 1, ...(token !== undefined ? { token } : {}), ...(caps ? { caps } : {}) });
      await client.next((m) => m.op === 'welcome');
    }
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  id(): number {
    return this.nextId++;
  }

  /** Sends a sub and waits for its `subscribed` (or error); returns that answer. */
  async sub(topic: string, since?: { epoch: string; seq: number }): Promise<Message> {
    const id = this.id();
    this.send({ op: 'sub', id, topic, ...(since ? { since } : {}) });
    return this.next((m) => m.id === id && (m.op === 'subscribed' || m.op === 'error'));
  }

  /** Waits for the first message after the cursor that matches; moves the cursor past it. */
  async next(match: (m: Message) => boolean, timeoutMs = 5000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.messages.length) {
        const message = this.messages[this.cursor++]!;
        if (match(message)) return message;
      }
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('socket closed while waiting for a message');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a message');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Messages matching `match` received so far (from the start). */
  all(match: (m: Message) => boolean): Message[] {
    return this.messages.filter(match);
  }

  close(): void {
    this.ws.terminate();
  }
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

/** Reads one sample of a Prometheus metric (`name{labels}` as printed), or 0 when absent. */
export async function metricValue(httpUrl: string, sample: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1));
  }
  return 0;
}
