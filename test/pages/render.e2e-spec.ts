import { fetchPage } from '../support/fetch-page.js';
import { renderModule, renderRuns, useEjsViews } from '../fixtures/pages/render.fixture.js';
import { MATRIX } from '../support/backends.js';
import { startApp, type RunningApp } from '../support/http-app.js';

describe.each(MATRIX)('page cache with @Render() templates on %s/%s', (adapter, backend) => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp(adapter, renderModule(backend), nest => useEjsViews(adapter, nest));
  });
  afterAll(() => app.close());
  beforeEach(() => renderRuns.reset());

  it('serves the rendered HTML byte for byte on a hit, without running the template', async () => {
    const miss = await fetchPage(app, '/render/welcome');
    expect(miss.status).toBe(200);
    expect(miss.cache).toBe('MISS');
    expect(miss.headers.get('content-type')).toMatch(/^text\/html/);
    expect(miss.text).toContain('<h1>welcome</h1>');
    expect(miss.text).toContain('template render 1');
    expect(miss.text).toContain('handler run 1');
    expect(miss.text).toContain('escaped: &lt;&amp;&gt; ünïcödé ✓');

    const hit = await fetchPage(app, '/render/welcome');
    expect(hit.status).toBe(200);
    expect(hit.cache).toBe('HIT');
    expect(hit.headers.get('content-type')).toBe(miss.headers.get('content-type'));
    expect(hit.body.equals(miss.body)).toBe(true);
    expect(hit.headers.get('etag')).toBe(miss.headers.get('etag'));

    expect(renderRuns.of('handler')).toBe(1);
    expect(renderRuns.of('template')).toBe(1);
  });

  it('answers HEAD and If-None-Match on a hit without running the template', async () => {
    const miss = await fetchPage(app, '/render/conditional');
    const etag = miss.headers.get('etag')!;
    const head = await fetchPage(app, '/render/conditional', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.cache).toBe('HIT');
    expect(head.body.length).toBe(0);
    expect(head.headers.get('content-type')).toBe(miss.headers.get('content-type'));
    const notModified = await fetchPage(app, '/render/conditional', {
      headers: { 'if-none-match': etag },
    });
    expect(notModified.status).toBe(304);
    expect(notModified.body.length).toBe(0);
    expect(renderRuns.of('handler')).toBe(1);
    expect(renderRuns.of('template')).toBe(1);
  });

  it('keeps rendering other pages after hits', async () => {
    await fetchPage(app, '/render/first');
    await fetchPage(app, '/render/first');
    const other = await fetchPage(app, '/render/second');
    expect(other.cache).toBe('MISS');
    expect(other.text).toContain('<h1>second</h1>');
    expect((await fetchPage(app, '/render/first')).text).toContain('<h1>first</h1>');
    expect(renderRuns.of('handler')).toBe(2);
    expect(renderRuns.of('template')).toBe(2);
  });
});
