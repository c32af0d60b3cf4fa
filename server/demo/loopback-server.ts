import net from "node:net";
import { reconcileContext } from "../runtime";

/**
 * A TCP server on 127.0.0.1 that accepts connections and never answers: the far end
 * for the demo's leaked sockets. `close` destroys every connection it holds.
 */
export class LoopbackServer {
  private server: net.Server | undefined;
  private readonly connections = new Set<net.Socket>();
  private boundPort = 0;

  get port(): number {
    return this.boundPort;
  }

  /** Connections the server currently holds. */
  get connectionCount(): number {
    return this.connections.size;
  }

  async start(): Promise<void> {
    if (this.server) return;
    // The server's own handles belong to no reconcile.
    const server = reconcileContext.exit(() =>
      net.createServer((socket) => {
        this.connections.add(socket);
        socket.on("error", () => undefined);
        socket.on("close", () => this.connections.delete(socket));
      }),
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
