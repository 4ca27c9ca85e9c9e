import { Redis } from 'ioredis';
import { NearChannel } from '../../libs/page-cache/src/near/near-channel.js';
import { NearLease } from '../../libs/page-cache/src/near/near-lease.js';
import { NearNames, parsePing } from '../../libs/page-cache/src/near/near-names.js';
import { withNearScripts } from '../../libs/page-cache/src/near/near-scripts.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';

describe('the near lease on a real Redis', () => {
  const client = new Redis(redisUrl());
  afterAll(() => client.quit());

  /** A lease on a clock the test moves, its pings heard on a real subscription. */
  async function lease() {
    const names = new NearNames(`${uniquePrefix('lease')}:1`);
    const clock = { now: 0 };
    const lapses = { count: 0 };
    const held = new NearLease(
      withNearScripts(client),
      names,
      'holder',
      1_000,
      () => lapses.count++,
      () => clock.now,
    );
    const pings = { count: 0 };
    const channel = new NearChannel(client, () => held.lost());
    await channel.subscribe(names.pings('holder'), message => {
      held.pinged(parsePing(message)!.renewal);
      pings.count++;
    });
    /** Renews, runs `meanwhile` before its ping can come back, and waits for the ping. */
    const renewed = async (meanwhile: () => void = () => undefined) => {
      const before = pings.count;
      held.renew();
      meanwhile();
      await vi.waitFor(() => expect(pings.count).toBe(before + 1));
    };
    const close = async () => {
      await held.close();
      await channel.close();
    };
    return { names, held, clock, lapses, renewed, close };
  }

  it('is usable from its ping to send time + lease - margin, and registered in Redis time', async () => {
    const { names, held, clock, renewed, close } = await lease();
    try {
      clock.now = 10_000;
      await renewed();
      expect(held.usable()).toBe(true);
      const [now, score] = await Promise.all([
        client.time(),
        client.zscore(names.holders, 'holder'),
      ]);
      const redisNow = Number(now[0]) * 1000 + Math.floor(Number(now[1]) / 1000);
      expect(Number(score) - redisNow).toBeGreaterThan(0);
      expect(Number(score) - redisNow).toBeLessThanOrEqual(1_000);
      clock.now = 10_899;
      expect(held.usable()).toBe(true);
      clock.now = 10_900;
      expect(held.usable()).toBe(false);
      expect(held.state).toBe('lapsed');
    } finally {
      await close();
    }
    // Left lapsed (score 0), not removed: an empty registry would be gone.
    expect(await client.zscore(names.holders, 'holder')).toBe('0');
  });

  it('regained after a lapse nobody saw (a paused process), it drops what it held first', async () => {
    const { held, clock, lapses, renewed, close } = await lease();
    try {
      await renewed();
      const before = lapses.count;
      // Past the deadline, with nothing asking (timers late): then a renewal's ping comes back.
      clock.now = 5_000;
      await renewed();
      expect(lapses.count).toBe(before + 1);
      expect(held.usable()).toBe(true);
    } finally {
      await close();
    }
  });

  it('after the channel was lost, a ping of a renewal sent before proves nothing', async () => {
    const { held, renewed, close } = await lease();
    try {
      await renewed();
      // Lost while the renewal is on its way: its ping may have been heard while announcements
      // were not.
      await renewed(() => held.lost());
      expect(held.usable()).toBe(false);
      await renewed();
      expect(held.usable()).toBe(true);
    } finally {
      await close();
    }
  });
});
