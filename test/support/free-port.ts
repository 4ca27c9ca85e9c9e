import net from 'node:net';

/**
 * Asks the OS for a currently unused TCP port on 127.0.0.1.
 *
 * There is an unavoidable race between closing the probe socket and the caller binding the port,
 * so callers that spawn servers should be prepared to retry with a fresh port.
 */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`freePort: unexpected server address ${String(address)}`));
        return;
      }
      const { port } = address;
      server.close(err => (err ? reject(err) : resolve(port)));
    });
  });
}
