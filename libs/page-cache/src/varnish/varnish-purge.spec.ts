import { createServer, type IncomingMessage, type Server } from 'node:http';
import { varnishPurge } from './varnish-purge.js';

/** A real HTTP server standing in for Varnish. */
async function listen(
  answer: (request: IncomingMessage) => number | 'hang',
): Promise<{ url: string; requests: { method?: string; xkey?: string }[]; server: Server }> {
  const requests: { method?: string; xkey?: string }[] = [];
  const server = createServer((request, response) => {
    requests.push({ method: request.method, xkey: request.headers.xkey as string | undefined });
    const status = answer(request);
    if (status === 'hang') return;
    response.statusCode = status;
    response.end();
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/`, requests, server };
}

describe('varnishPurge', () => {
  it('refuses an option name it does not take, with the closest known one', () => {
    expect(() => varnishPurge({ url: 'http://v/', timout: '1s' } as never)).toThrow(
      "Unknown varnishPurge option 'timout' (did you mean 'timeout'?).",
    );
  });

  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    }
  });

  it('sends PURGE with the tags space-separated in xkey, in requests under 4 KB', async () => {
    const varnish = await listen(() => 200);
    servers.push(varnish.server);
    await varnishPurge({ url: varnish.url })(['Post', 'Post/42']);
    expect(varnish.requests).toEqual([{ method: 'PURGE', xkey: 'Post Post/42' }]);

    const many = Array.from({ length: 600 }, (_, i) => `Post/${i}-${'x'.repeat(10)}`);
    await varnishPurge({ url: varnish.url })(many);
    const batches = varnish.requests.slice(1).map(request => request.xkey!);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(4_000);
    expect(batches.flatMap(batch => batch.split(' '))).toEqual(many);
  });

  it('purges every Varnish listed, and rejects when one answers outside 2xx', async () => {
    const ok = await listen(() => 200);
    const refusing = await listen(() => 403);
    servers.push(ok.server, refusing.server);
    await expect(varnishPurge({ url: [ok.url, refusing.url] })(['Post'])).rejects.toThrow(
      /answered 403 Forbidden to PURGE/,
    );
    expect(ok.requests).toHaveLength(1);
    expect(refusing.requests).toHaveLength(1);
  });

  it('rejects when Varnish does not answer within the timeout, or cannot be reached', async () => {
    const hung = await listen(() => 'hang');
    servers.push(hung.server);
    const started = Date.now();
    await expect(varnishPurge({ url: hung.url, timeout: 100 })(['Post'])).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(varnishPurge({ url: 'http://127.0.0.1:1/' })(['Post'])).rejects.toThrow();
  });

  it('checks its options when it is created', () => {
    expect(() => varnishPurge({ url: 'varnish:6081' })).toThrow(
      /Invalid varnishPurge option url: "varnish:6081"/,
    );
    expect(() => varnishPurge({ url: [] })).toThrow(/Invalid varnishPurge option url/);
    expect(() => varnishPurge({ url: 'http://v/', timeout: 0 })).toThrow(
      /Invalid varnishPurge option timeout: 0/,
    );
  });
});
