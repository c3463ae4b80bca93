/**
 * A small TCP proxy as the load balancer in front of several server nodes (tests and
 * `npm run cluster`): each new connection goes to the current target (`route`) or, by
 * default, round robin over the targets; `cut` ends every connection through it, as a
 * crashed balancer or node would. Bytes are piped untouched, so WebSocket upgrades pass.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface ProxyTarget {
  host: string;
  port: number;
}

export class TcpProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private next = 0;
  private fixed: number | undefined;
  port = 0;

  constructor(
    private targets: ProxyTarget[],
    /** A target is skipped while this says it is down (a health check); default: all up. */
    private readonly isUp: (target: ProxyTarget) => boolean = () => true,
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const address = this.server.address();
        this.port = typeof address === 'object' && address ? address.port : port;
        resolve(this.port);
      });
    });
  }

  /** New connections go to `targets[index]` only (undefined: round robin again). */
  route(index: number | undefined): void {
    this.fixed = index;
  }

  setTargets(targets: ProxyTarget[]): void {
    this.targets = targets;
  }

  /** Ends every connection through the proxy at once. */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private pick(): ProxyTarget | undefined {
    if (this.fixed !== undefined) return this.targets[this.fixed];
    for (let i = 0; i < this.targets.length; i++) {
      const target = this.targets[this.next++ % this.targets.length]!;
      if (this.isUp(target)) return target;
    }
    return undefined;
  }

  private accept(client: Socket): void {
    const target = this.pick();
    if (!target) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
