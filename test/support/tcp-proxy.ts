/**
 * A TCP proxy whose connections a test can silence or reset one by one, to
 * play a database host that stops answering without closing anything (a
 * crashed host, a network partition: no FIN, no RST) or one that resets.
 *
 * @module
 */
import net from "node:net";

/** One client connection through the proxy. */
export interface ProxiedConnection {
  /** Drops every byte from now on, both ways, and closes nothing: the peer just waits. */
  mute(): void;
  /** Resets the client's side (RST), as a restarted host answers an old connection. */
  reset(): void;
}

/** A running proxy. */
export interface TcpProxy {
  readonly port: number;
  /** The connections made so far, in the order they were accepted. */
  readonly connections: readonly ProxiedConnection[];
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (a free port) to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const connections: ProxiedConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    let muted = false;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("data", (chunk) => muted || upstream.write(chunk));
    upstream.on("data", (chunk) => muted || client.write(chunk));
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => muted || client.destroy());
    connections.push({
      mute: () => {
        muted = true;
      },
      reset: () => {
        client.resetAndDestroy();
        upstream.destroy();
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
