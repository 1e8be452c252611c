// A TCP proxy between a browser and the server, whose connections a test can cut: a dropped
// network as the browser sees it (its open streams break, new connections are reset).
import { connect, createServer, type Socket } from "node:net";

export interface TcpProxy {
  /** The proxy's origin, e.g. http://127.0.0.1:41235: a browser pointed here reaches the server. */
  url: string;
  /** Breaks every open connection and resets new ones until `restore`. */
  cut(): void;
  restore(): void;
  /** Connections reset while cut (the browser trying to come back). */
  readonly refused: number;
  /** The request heads of `GET /events/stream` that went through, in order. */
  readonly streamRequests: string[];
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  const streamRequests: string[] = [];
  let cut = false;
  let refused = 0;

  const server = createServer((client) => {
    if (cut) {
      refused += 1;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(Number(port), hostname);
    open.add(client);
    open.add(upstream);
    const forget = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      const text = chunk.toString("latin1");
      const at = text.indexOf("GET /events/stream");
      if (at >= 0) streamRequests.push(text.slice(at, text.indexOf("\r\n\r\n", at)));
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("error", forget);
    upstream.on("error", forget);
    client.on("close", forget);
    upstream.on("close", forget);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const proxyPort = typeof address === "object" && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${proxyPort}`,
    cut() {
      cut = true;
      for (const socket of [...open]) {
        try {
          socket.resetAndDestroy();
        } catch {
          socket.destroy(); // not connected yet: nothing to reset
        }
      }
      open.clear();
    },
    restore() {
      cut = false;
    },
    get refused() {
      return refused;
    },
    streamRequests,
    close() {
      for (const socket of [...open]) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
