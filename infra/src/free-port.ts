// Picks a TCP port on 127.0.0.1 that is free right now, by letting the kernel choose one.
import net from 'node:net';

/** A port nothing listens on at the time of the call (the caller should bind it promptly). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('kernel gave no port'))));
    });
  });
}
