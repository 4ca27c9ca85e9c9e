#!/usr/bin/env node
// Drives the consumer app (test/consumer/app, installed from the packed tarball and compiled) on
// every Node binary given and on both HTTP adapters, all at once, against one real Redis:
//
//   node drive.mjs <app dir> <redis url> <label>=<node binary> [<label>=<node binary> …]
//
// Each app process checks, over HTTP: a page MISS then HIT; an invalidation through an
// ENTITY_SAVED event; an invalidation through a TypeORM save (the subscriber of
// nestjs-page-cache/typeorm); and a @Render page routed before ':id', on Express and Fastify.
// Each Node binary also runs the installed CLI (--version, and keys on the app's namespace).
// Prints one line per check and exits with 1 if any failed.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const [appDir, redisUrl, ...nodeSpecs] = process.argv.slice(2);
if (!appDir || !redisUrl || nodeSpecs.length === 0) {
  console.error('usage: drive.mjs <app dir> <redis url> <label>=<node binary> …');
  process.exit(2);
}
const nodes = nodeSpecs.map(spec => {
  const cut = spec.indexOf('=');
  return { label: spec.slice(0, cut), binary: spec.slice(cut + 1) };
});
const ADAPTERS = ['express', 'fastify'];
const BOOT_TIMEOUT_MS = 60_000;
const packageVersion = JSON.parse(
  readFileSync(join(appDir, 'node_modules/nestjs-page-cache/package.json'), 'utf8'),
).version;

/** Outcomes, printed in order once every run is over (they finish interleaved). */
const results = [];
/** What the apps logged (warnings and errors), printed after the results. */
const logs = [];
function report(name, error) {
  results.push({ name, error: error instanceof Error ? error.message : error });
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Starts the compiled app with `binary` and resolves once it listens. */
function startApp(binary, adapter, keyPrefix) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['dist/main.js'], {
      cwd: appDir,
      env: { ...process.env, ADAPTER: adapter, REDIS_URL: redisUrl, KEY_PREFIX: keyPrefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not listen within ${BOOT_TIMEOUT_MS} ms:\n${output}`));
    }, BOOT_TIMEOUT_MS);
    const onData = chunk => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', chunk => (output += chunk));
    child.once('exit', code => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${output}`));
    });
  });
}

async function stopApp(app) {
  if (app.child.exitCode !== null) return;
  const exited = new Promise(resolve => app.child.once('exit', resolve));
  app.child.kill('SIGTERM');
  const timer = setTimeout(() => app.child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function get(url) {
  const response = await fetch(url);
  return {
    status: response.status,
    cache: response.headers.get('x-cache'),
    type: response.headers.get('content-type') ?? '',
    body: await response.text(),
  };
}

/** The HTTP checks against one running app. */
async function checkApp(name, url) {
  const step = async (what, run) => {
    try {
      await run();
      report(`${name}: ${what}`);
    } catch (error) {
      report(`${name}: ${what}`, error);
    }
  };

  await step('MISS then HIT', async () => {
    const miss = await get(`${url}/posts/1`);
    assert(miss.status === 200 && miss.cache === 'MISS', `first GET: ${miss.status} ${miss.cache}`);
    const hit = await get(`${url}/posts/1`);
    assert(hit.cache === 'HIT', `second GET: X-Cache ${hit.cache}`);
    assert(hit.body === miss.body, 'the hit differs from the miss');
    assert(JSON.parse(hit.body).title === 'First post', `body ${hit.body}`);
  });

  await step('invalidation through an ENTITY_SAVED event', async () => {
    const emitted = await fetch(`${url}/posts/1/saved`, { method: 'POST' });
    assert(emitted.status === 204, `POST /posts/1/saved answered ${emitted.status}`);
    const after = await get(`${url}/posts/1`);
    assert(after.cache === 'MISS', `after the event: X-Cache ${after.cache}`);
    assert((await get(`${url}/posts/1`)).cache === 'HIT', 'not cached again');
  });

  await step('invalidation through a TypeORM save', async () => {
    const saved = await fetch(`${url}/posts/1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Changed' }),
    });
    assert(saved.status === 200, `PUT answered ${saved.status}`);
    const after = await get(`${url}/posts/1`);
    // MISS, or BYPASS while a pass that read the outbox before the save's record left it is
    // still this process's latest (until its next pass): never the old page.
    assert(after.cache !== 'HIT', `after the save: X-Cache ${after.cache}`);
    assert(JSON.parse(after.body).title === 'Changed', `after the save: ${after.body}`);
  });

  await step("@Render page declared before ':id'", async () => {
    const miss = await get(`${url}/posts/feed`);
    assert(miss.status === 200, `GET /posts/feed: ${miss.status} ${miss.body.slice(0, 200)}`);
    assert(miss.type.startsWith('text/html'), `content-type ${miss.type}`);
    assert(
      miss.body.includes('<h1>Feed</h1>'),
      `not the feed template: ${miss.body.slice(0, 200)}`,
    );
    const hit = await get(`${url}/posts/feed`);
    assert(hit.cache === 'HIT' && hit.body === miss.body, `second GET: X-Cache ${hit.cache}`);
  });
}

const run = promisify(execFile);

/** The installed CLI, run by `binary`: its version, and the keys of one app's namespace. */
async function checkCli(label, binary, keyPrefix) {
  const cli = join(appDir, 'node_modules/nestjs-page-cache/dist/cli/main.js');
  try {
    const { stdout } = await run(binary, [cli, '--version']);
    assert(stdout === `${packageVersion}\n`, `--version printed ${JSON.stringify(stdout)}`);
    report(`node ${label}: CLI --version`);
  } catch (error) {
    report(`node ${label}: CLI --version`, error);
  }
  try {
    const { stdout } = await run(binary, [
      cli,
      'keys',
      'page:*',
      '--json',
      '--redis',
      redisUrl,
      '--prefix',
      keyPrefix,
    ]);
    const keys = JSON.parse(stdout).keys;
    assert(
      keys.some(key => key.startsWith('page:PostsController.feed:')),
      `keys: ${stdout}`,
    );
    report(`node ${label}: CLI keys`);
  } catch (error) {
    report(`node ${label}: CLI keys`, error);
  }
}

await Promise.all(
  nodes.map(async ({ label, binary }) => {
    await Promise.all(
      ADAPTERS.map(async adapter => {
        const name = `node ${label} ${adapter}`;
        const keyPrefix = `consumer_${label.replace(/\W/g, '_')}_${adapter}_${process.pid}`;
        let app;
        try {
          app = await startApp(binary, adapter, keyPrefix);
        } catch (error) {
          report(`${name}: boot`, error);
          return;
        }
        try {
          await checkApp(name, app.url);
          if (adapter === 'express') await checkCli(label, binary, keyPrefix);
        } finally {
          await stopApp(app);
        }
        const logged = app
          .output()
          .replace(/^listening on .*$/m, '')
          .trim();
        if (logged) logs.push(`     ${name} logged:\n${logged.replace(/^/gm, '       ')}`);
      }),
    );
  }),
);

const byName = (a, b) => a.name.localeCompare(b.name, 'en', { numeric: true });
for (const { name, error } of results.sort(byName)) {
  console.log(error === undefined ? `ok   ${name}` : `FAIL ${name}: ${error}`);
}
for (const text of logs) console.log(text);
const failed = results.filter(result => result.error !== undefined).length;
console.log(`consumer: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
