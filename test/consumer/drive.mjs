#!/usr/bin/env node
// Drives the quick-start app (installed and compiled by run.sh) on every Node binary given and on
// both HTTP adapters, all at once; each app process gets a redis-server and a PostgreSQL database
// of its own, passed as the README passes them (REDIS_URL, DATABASE_URL), with PORT as `nest new`'s
// main.ts reads it:
//
//   node drive.mjs <app dir> <label>=<node binary> [<label>=<node binary> …]
//
// Each app process checks, over HTTP, what the quick start says a reader sees: `/` MISS then HIT
// (the same renderedAt, with Age); `/posts/1` MISS then HIT; the PUT the README shows (a TypeORM
// save) then `/posts/1` MISS with the new title, then HIT, while `/posts/2` stays a HIT. Each
// Node binary also runs the installed CLI (--version, and the keys the app stored). Prints one
// line per check, and why any failed; exits with 1 if any failed.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const [appDir, ...nodeSpecs] = process.argv.slice(2);
if (!appDir || nodeSpecs.length === 0) {
  console.error('usage: drive.mjs <app dir> <label>=<node binary> …');
  process.exit(2);
}
const nodes = nodeSpecs.map(spec => {
  const cut = spec.indexOf('=');
  return { label: spec.slice(0, cut), binary: spec.slice(cut + 1) };
});
/** `nest new`'s entry point, and the same app on Fastify (test/consumer/nest-new/src). */
const ENTRY_POINTS = { express: 'dist/main.js', fastify: 'dist/main.fastify.js' };
const BOOT_TIMEOUT_MS = 60_000;
/** A server that lets the test create databases (the quick start's PostgreSQL). */
const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const packageVersion = JSON.parse(
  readFileSync(join(appDir, 'node_modules/nestjs-page-cache/package.json'), 'utf8'),
).version;
// The app's own `pg`, installed by the README's `npm install typeorm @nestjs/typeorm pg`.
const pg = createRequire(join(appDir, 'package.json'))('pg');

/** Outcomes, printed in order once every run is over (they finish interleaved). */
const results = [];
/** What the apps logged beside Nest's LOG lines (warnings, errors), printed after the results. */
const logs = [];
/** What a loaded machine changed (a BYPASS while Redis was slow), printed with the results. */
const notes = [];
function report(name, error) {
  results.push({ name, error: error instanceof Error ? error.message : error });
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeout` ms. */
async function waitFor(what, check, timeout = BOOT_TIMEOUT_MS) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeout} ms`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

/**
 * The first answer of a page that is not cached yet (`MISS`), then requests until a `HIT`. On a
 * loaded machine Redis may not answer within the 200 ms command timeout: the handler answers
 * instead (`BYPASS`, or a `MISS` whose page was not stored), as it should, and a later request
 * stores the page. A page that is never stored fails after the wait, with the answers seen.
 * @returns the first answer, the hit, and the answer the hit was stored from.
 */
async function missThenHit(url, what) {
  const first = await request(url);
  assert(
    first.status === 200 && (first.cache === 'MISS' || first.cache === 'BYPASS'),
    `${what}: ${first.status} X-Cache ${first.cache}, ${first.body.slice(0, 200)}`,
  );
  const seen = [first.cache];
  let stored = first;
  const hit = await waitFor(`${what}: a HIT`, async () => {
    const next = await request(url);
    assert(next.status === 200, `${what}: ${next.status} ${next.body.slice(0, 200)}`);
    seen.push(next.cache);
    if (next.cache === 'HIT') return next;
    stored = next;
    return undefined;
  }).catch(error => {
    throw new Error(`${error.message} (answers: ${seen.join(' ')})`);
  });
  if (seen.length > 2) notes.push(`${url}: ${seen.join(' ')} (Redis slow to answer)`);
  return { first, hit, stored };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** Sends `PING` to a Redis port: true on `+PONG`. */
function pings(port) {
  return new Promise(resolve => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.setTimeout(1_000, () => socket.destroy());
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', data => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

/** Whether something accepts connections on the port. */
function accepts(port) {
  return new Promise(resolve => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Children still running, stopped on the way out whatever happens. */
const children = new Set();
process.on('exit', () => children.forEach(child => child.kill('SIGKILL')));

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise(resolve => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

async function startRedis() {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  children.add(child);
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  await waitFor(`redis-server on port ${port}`, async () => {
    if (exited) throw new Error(`redis-server on port ${port} exited (is it on the PATH?)`);
    return (await pings(port)) ? true : undefined;
  });
  return { child, url: `redis://127.0.0.1:${port}` };
}

async function admin(sql) {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A database of its own for one app process, at the POSTGRES_URL server. */
async function createDatabase(name) {
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Starts the compiled app with `binary` on a free port; resolves once it accepts connections. */
async function startApp(binary, adapter, env) {
  const port = await freePort();
  const child = spawn(binary, [ENTRY_POINTS[adapter]], {
    cwd: appDir,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout.on('data', chunk => (output += chunk));
  child.stderr.on('data', chunk => (output += chunk));
  const app = { child, url: `http://127.0.0.1:${port}`, output: () => output };
  try {
    await waitFor('the app to listen', async () => {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
      return (await accepts(port)) ? true : undefined;
    });
  } catch (error) {
    await stop(child);
    throw new Error(`${error.message} before listening:\n${output}`);
  }
  return app;
}

async function request(url, init) {
  const response = await fetch(url, init);
  return {
    status: response.status,
    cache: response.headers.get('x-cache'),
    age: response.headers.get('age'),
    body: await response.text(),
  };
}

function json(response) {
  try {
    return JSON.parse(response.body);
  } catch {
    throw new Error(`not JSON: ${response.status} ${response.body.slice(0, 200)}`);
  }
}

/** The quick start's requests against one running app. */
async function checkApp(name, url) {
  const step = async (what, run) => {
    try {
      await run();
      report(`${name}: ${what}`);
    } catch (error) {
      report(`${name}: ${what}`, error);
    }
  };

  await step('GET / MISS, then HIT with the same renderedAt and an Age', async () => {
    const { hit, stored } = await missThenHit(`${url}/`, 'GET /');
    assert(hit.body === stored.body, `the hit ${hit.body} differs from the miss ${stored.body}`);
    assert(json(hit).renderedAt !== undefined, `no renderedAt in ${hit.body}`);
    assert(hit.age !== null, 'the hit has no Age');
  });

  await step('GET /posts/1 MISS, then HIT', async () => {
    const { first, hit } = await missThenHit(`${url}/posts/1`, 'GET /posts/1');
    assert(json(first).title === 'First post', `first GET: ${first.body}`);
    assert(hit.body === first.body, `second GET: ${hit.body}`);
    await missThenHit(`${url}/posts/2`, 'GET /posts/2');
  });

  await step(
    'PUT /posts/1 (a TypeORM save), then GET MISS with the new title, then HIT',
    async () => {
      const saved = await request(`${url}/posts/1`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Edited' }),
      });
      assert(saved.status === 200, `PUT answered ${saved.status} ${saved.body.slice(0, 200)}`);
      const { first: after, hit: again } = await missThenHit(`${url}/posts/1`, 'after the save');
      assert(json(after).title === 'Edited', `after the save: ${after.body}`);
      assert(again.body === after.body, `then: ${again.body}`);
    },
  );

  await step('/posts/2 stays cached through the save of post 1', async () => {
    // A HIT, or BYPASS answers while Redis is slow to answer — never a MISS (it was not cleared).
    const other = await waitFor('GET /posts/2: a HIT', async () => {
      const next = await request(`${url}/posts/2`);
      assert(next.cache !== 'MISS', `GET /posts/2: X-Cache MISS, ${next.body}`);
      return next.cache === 'HIT' ? next : undefined;
    });
    assert(json(other).title === 'Second post', `GET /posts/2: ${other.body}`);
  });
}

const run = promisify(execFile);

/** The installed CLI, run by `binary`: its version, and the page keys one app stored. */
async function checkCli(label, binary, redisUrl) {
  const cli = join(appDir, 'node_modules/nestjs-page-cache/dist/cli/main.js');
  try {
    const { stdout } = await run(binary, [cli, '--version']);
    assert(stdout === `${packageVersion}\n`, `--version printed ${JSON.stringify(stdout)}`);
    report(`node ${label}: CLI --version`);
  } catch (error) {
    report(`node ${label}: CLI --version`, error);
  }
  try {
    const { stdout } = await run(binary, [cli, 'keys', 'page:*', '--json', '--redis', redisUrl]);
    const keys = JSON.parse(stdout).keys;
    assert(
      keys.some(key => key.startsWith('page:PostsController.show:')),
      `keys: ${stdout}`,
    );
    report(`node ${label}: CLI keys`);
  } catch (error) {
    report(`node ${label}: CLI keys`, error);
  }
}

/** One app process: its Redis and database, the checks, and everything stopped and dropped. */
async function runOne({ label, binary }, adapter, index) {
  const name = `node ${label} ${adapter}`;
  const database = `consumer_${process.pid}_${index}`;
  let redis;
  let databaseUrl;
  let app;
  try {
    redis = await startRedis();
    databaseUrl = await createDatabase(database).catch(error => {
      throw new Error(
        `PostgreSQL at ${POSTGRES_URL} could not create a database (${error.message}); the ` +
          'quick start needs one: set POSTGRES_URL to a server that lets this user CREATE DATABASE',
      );
    });
    app = await startApp(binary, adapter, { REDIS_URL: redis.url, DATABASE_URL: databaseUrl });
  } catch (error) {
    report(`${name}: boot`, error);
  }
  try {
    if (app) {
      await checkApp(name, app.url);
      if (adapter === 'express') await checkCli(label, binary, redis.url);
    }
  } finally {
    if (app) await stop(app.child);
    if (redis) await stop(redis.child);
    if (databaseUrl) {
      await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(error =>
        report(`${name}: drop database ${database}`, error),
      );
    }
  }
  const logged = (app?.output() ?? '')
    // oxlint-disable-next-line no-control-regex -- Nest colours its log lines.
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .filter(line => line.trim() !== '' && !/^\[Nest\] \d+\s+-\s.*\sLOG\s/.test(line))
    .join('\n');
  if (logged) logs.push(`     ${name} logged:\n${logged.replace(/^/gm, '       ')}`);
}

await Promise.all(
  nodes.flatMap((node, n) =>
    Object.keys(ENTRY_POINTS).map((adapter, a) => runOne(node, adapter, n * 2 + a)),
  ),
);

const byName = (a, b) => a.name.localeCompare(b.name, 'en', { numeric: true });
for (const { name, error } of results.sort(byName)) {
  console.log(error === undefined ? `ok   ${name}` : `FAIL ${name}: ${error}`);
}
for (const text of logs) console.log(text);
for (const text of notes) console.log(`note ${text}`);
const failed = results.filter(result => result.error !== undefined).length;
console.log(`consumer: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
