import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { CacheModule, CachePage, CacheService } from 'nestjs-page-cache';
import {
  rawRequest,
  startApp,
  type AdapterOptions,
  type RunningApp,
} from '../../support/http-app.js';
import { redisUrl, uniquePrefix } from '../../support/redis.js';

@Controller()
class ReportController {
  @Get('report')
  @CachePage('1h')
  report() {
    return { report: 'numbers' };
  }
}

@Module({
  imports: [
    EventEmitterModule.forRoot(),
    CacheModule.forRoot({ redis: redisUrl(), keyPrefix: uniquePrefix('early_send') }),
  ],
  controllers: [ReportController],
})
class ReportModule {}

type Done = (error?: Error) => void;
interface ReplyLike {
  raw: { setHeader(name: string, value: string): void };
  header(name: string, value: string): unknown;
}
interface FastifyLike {
  addHook(name: string, hook: (...args: never[]) => unknown): void;
}

function fastifyOf(app: INestApplication): FastifyLike {
  return app.getHttpAdapter().getInstance() as FastifyLike;
}

/** A miss, then `hits` requests that must be early hits: their answers. */
async function missThenHits(app: RunningApp, hits: number) {
  const miss = await rawRequest(app, '/report');
  expect(miss.cache).toBe('MISS');
  const answers = [];
  for (let i = 0; i < hits; i++) answers.push(await rawRequest(app, '/report'));
  expect(answers.map(answer => answer.cache)).toEqual(Array<string>(hits).fill('HIT'));
  return { miss, hits: answers };
}

/**
 * An early hit on Fastify is written to Node's response directly where Fastify would run nothing
 * while sending it; everything the app hooked into sending still happens to early hits.
 */
describe('early hits on Fastify, written past its send or through it', () => {
  let app: RunningApp;
  afterEach(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
  });

  it('a route with no send hook: hits carry the miss body and the headers set on the response', async () => {
    app = await startApp('fastify', ReportModule, nest => {
      fastifyOf(nest).addHook('onRequest', (_request: never, reply: ReplyLike, done: Done) => {
        reply.raw.setHeader('x-raw-hook', 'kept');
        done();
      });
    });
    const { miss, hits } = await missThenHits(app, 3);
    for (const hit of hits) {
      expect(hit).toMatchObject({ status: 200, body: miss.body });
      expect(hit.headers).toMatchObject({
        'x-raw-hook': 'kept',
        'content-type': miss.headers['content-type'],
        'content-length': String(Buffer.byteLength(miss.body)),
        etag: miss.headers.etag,
      });
    }
  });

  it("an app's onResponse hook runs for every early hit", async () => {
    let responses = 0;
    app = await startApp('fastify', ReportModule, nest => {
      fastifyOf(nest).addHook('onResponse', (_request: never, _reply: never, done: Done) => {
        responses++;
        done();
      });
    });
    await missThenHits(app, 3);
    await vi.waitFor(() => expect(responses).toBe(4));
  });

  it("an app's onResponse hook reads the headers of every early hit", async () => {
    const seen: unknown[] = [];
    app = await startApp('fastify', ReportModule, nest => {
      fastifyOf(nest).addHook(
        'onResponse',
        (_request: never, reply: { getHeader(name: string): unknown }, done: Done) => {
          seen.push(reply.getHeader('x-cache'));
          done();
        },
      );
    });
    await missThenHits(app, 2);
    await vi.waitFor(() => expect(seen).toEqual(['MISS', 'HIT', 'HIT']));
  });

  it("Nest's lifecycle onResponse hook (setOnResponseHook) runs for every early hit", async () => {
    let responses = 0;
    app = await startApp('fastify', ReportModule, nest => {
      const adapter = nest.getHttpAdapter() as unknown as {
        setOnResponseHook(hook: (request: never, reply: never, done: Done) => void): void;
      };
      adapter.setOnResponseHook((_request, _reply, done) => {
        responses++;
        done();
      });
    });
    await missThenHits(app, 3);
    await vi.waitFor(() => expect(responses).toBe(4));
  });

  it("an app's onSend hook runs for every early hit", async () => {
    let sent = 0;
    app = await startApp('fastify', ReportModule, nest => {
      fastifyOf(nest).addHook(
        'onSend',
        async (_request: never, reply: ReplyLike, payload: unknown) => {
          reply.header('x-sent', String(++sent));
          return payload;
        },
      );
    });
    const { miss, hits } = await missThenHits(app, 2);
    expect([miss, ...hits].map(answer => answer.headers['x-sent'])).toEqual(['1', '2', '3']);
  });

  it('a header an earlier onRequest hook set on the reply (and not on the miss) is on early hits', async () => {
    app = await startApp('fastify', ReportModule, nest => {
      fastifyOf(nest).addHook(
        'onRequest',
        (request: { headers: Record<string, string> }, reply: ReplyLike, done: Done) => {
          const trace = request.headers['x-trace'];
          if (trace !== undefined) reply.header('x-trace', trace);
          done();
        },
      );
    });
    await rawRequest(app, '/report');
    const hit = await rawRequest(app, '/report', { 'x-trace': 't1' });
    expect({ cache: hit.cache, trace: hit.headers['x-trace'] }).toEqual({
      cache: 'HIT',
      trace: 't1',
    });
  });

  it('a logger at info logs every completed early hit', async () => {
    const completed: string[] = [];
    const logger = {
      level: 'info',
      stream: {
        write(line: string) {
          if (line.includes('request completed')) completed.push(line);
        },
      },
    };
    app = await startApp('fastify', ReportModule, undefined, { logger } as AdapterOptions);
    await missThenHits(app, 3);
    await vi.waitFor(() => expect(completed).toHaveLength(4));
  });
});
