/** The browser WebSocket as a Transport: text frames both ways, the socket's close code and reason. */
import type { Transport, TransportEvents, TransportFactory } from './transport.js';

const CONNECTING = 0;
const OPEN = 1;

export const openWebSocket: TransportFactory = (url: string, events: TransportEvents): Transport => {
  // The global is read at each open, so a page (or a test's wire tap) may replace it.
  const socket = new WebSocket(url);
  socket.onopen = () => events.open();
  socket.onmessage = (event: MessageEvent) => events.message(event.data);
  socket.onclose = (event: CloseEvent) => events.close(event.code, event.reason);
  socket.onerror = () => {}; // a close event follows
  return {
    send(text: string): boolean {
      if (socket.readyState !== OPEN) return false;
      socket.send(text);
      return true;
    },
    close(code: number, reason: string): void {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        if (socket.readyState === CONNECTING || socket.readyState === OPEN) socket.close(code, reason);
      } catch {
        /* already closing */
      }
    },
  };
};
