/**
 * The seam between the stream core and whatever carries its frames: a WebSocket in this
 * tab today (websocket-transport.ts), a port to a shared worker or a leader tab later.
 * Message-oriented: protocol text goes in and comes out; nothing about sockets leaks.
 */

/** What a transport tells the core. After `close` (or after the core's own close()) nothing more. */
export interface TransportEvents {
  /** Ready to send (the core then says `hello`). */
  open(): void;
  /** One frame from the server: a string; anything else is reported as a bad frame. */
  message(data: unknown): void;
  /** The link ended, with the close code and reason the far side gave (or the transport's own). */
  close(code: number, reason: string): void;
}

export interface Transport {
  /** Sends one text frame; false when the link is not open (nothing was sent). May throw. */
  send(text: string): boolean;
  /** Ends the link from our side; no event is delivered afterwards. */
  close(code: number, reason: string): void;
}

/** Opens a link to `url`. May throw (the core reports `connect_failed` and backs off). */
export type TransportFactory = (url: string, events: TransportEvents) => Transport;
