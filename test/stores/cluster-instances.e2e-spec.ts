import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKENDS } from '../support/backends.js';
import { startChildApp, type ChildApp } from '../support/child-app.js';
import { fetchPage, json } from '../support/fetch-page.js';
import { rawGet } from '../support/http-app.js';
import { redisClusterNodes, redisUrl, uniquePrefix } from '../support/redis.js';

const ENTRY = fileURLToPath(new URL('../fixtures/scaling/instance.app.ts', import.meta.url));

// Behind a load balancer every instance sees one Host, which is part of the page key; fetch()
// cannot set Host, so pages are requested through node:http.
const get = (app: ChildApp, path: string) => rawGet(`${app.url}${path}`, { host: 'shop.example' });

async function runs(app: ChildApp): Promise<Record<string, number>> {
  return json<Record<string, number>>(await fetchPage(app, '/runs'));
}

describe.each(BACKENDS)('two app instances sharing one %s', backend => {
  let dir: string;
  let apps: ChildApp[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shop-'));
    const dataFile = join(dir, 'products.json');
    await writeFile(dataFile, JSON.stringify({ 1: 'one', 2: 'two', 3: 'three' }));
    const env = {
      ...(backend === 'cluster'
        ? { REDIS_CLUSTER_NODES: redisClusterNodes().join(',') }
        : { REDIS_URL: redisUrl() }),
      KEY_PREFIX: uniquePrefix('shop'),
      DATA_FILE: dataFile,
    };
    apps = await Promise.all([startChildApp(ENTRY, env), startChildApp(ENTRY, env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(apps.map(app => app.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  it('a save handled by one instance clears the pages the other cached', async () => {
    const [a, b] = apps;
    for (const path of ['/products', '/products/1', '/products/2']) {
      expect((await get(a, path)).headers['x-cache']).toBe('MISS');
      expect((await get(a, path)).headers['x-cache']).toBe('HIT');
      expect((await get(b, path)).headers['x-cache']).toBe('HIT');
    }

    const saved = await fetch(`${b.url}/products/1?name=renamed`, { method: 'POST' });
    expect(saved.status).toBe(201);

    const one = await get(a, '/products/1');
    expect(one.headers['x-cache']).toBe('MISS');
    expect(JSON.parse(one.body)).toMatchObject({ id: '1', name: 'renamed' });
    const list = await get(a, '/products');
    expect(list.headers['x-cache']).toBe('MISS');
    expect(JSON.parse(list.body).products).toEqual({ 1: 'renamed', 2: 'two', 3: 'three' });
    // Other products stay cached, and what one instance renders the other serves.
    expect((await get(a, '/products/2')).headers['x-cache']).toBe('HIT');
    const shared = await get(b, '/products/1');
    expect(shared.headers['x-cache']).toBe('HIT');
    expect(shared.body).toBe(one.body);
  });

  it('concurrent misses in both instances render the page once (the fill lock)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => get(apps[i % 2], '/cold/1')),
    );
    expect(answers.every(answer => answer.status === 200)).toBe(true);
    expect(new Set(answers.map(answer => answer.body)).size).toBe(1);
    const [first, second] = await Promise.all(apps.map(runs));
    expect((first.cold ?? 0) + (second.cold ?? 0)).toBe(1);
  });
});
