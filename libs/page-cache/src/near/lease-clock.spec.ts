import { driftMargin, LeaseClock } from './lease-clock.js';

describe('LeaseClock', () => {
  it('keeps a margin of 10% of the lease, at least 50ms', () => {
    expect(driftMargin(2_000)).toBe(200);
    expect(driftMargin(300)).toBe(50);
  });

  it('is usable from the ping until send time + lease - margin, never before the ping', () => {
    const clock = new LeaseClock(1_000);
    const renewal = clock.renewalSent(10_000);
    expect(clock.usable(10_001)).toBe(false);
    expect(clock.pingReceived(renewal)).toBe(true);
    expect(clock.deadline).toBe(10_000 + 1_000 - 100);
    expect(clock.usable(10_899)).toBe(true);
    expect(clock.usable(10_900)).toBe(false);
  });

  it('counts from when the renewal was sent, however late its ping comes back', () => {
    const clock = new LeaseClock(1_000);
    const renewal = clock.renewalSent(0);
    clock.pingReceived(renewal);
    expect(clock.usable(950)).toBe(false);
  });

  it('a later renewal extends the deadline; an older ping never shortens it', () => {
    const clock = new LeaseClock(1_000);
    const first = clock.renewalSent(0);
    const second = clock.renewalSent(300);
    expect(clock.pingReceived(second)).toBe(true);
    expect(clock.deadline).toBe(1_200);
    expect(clock.pingReceived(first)).toBe(false);
    expect(clock.deadline).toBe(1_200);
  });

  it('after the channel is lost, only a renewal sent later proves the lease', () => {
    const clock = new LeaseClock(1_000);
    clock.pingReceived(clock.renewalSent(0));
    const inFlight = clock.renewalSent(100);
    clock.lost();
    expect(clock.usable(200)).toBe(false);
    // Its ping may have been heard while announcements were not.
    expect(clock.pingReceived(inFlight)).toBe(false);
    const after = clock.renewalSent(400);
    expect(clock.pingReceived(after)).toBe(true);
    expect(clock.usable(500)).toBe(true);
  });

  it('ignores pings of renewals it never sent', () => {
    const clock = new LeaseClock(1_000);
    expect(clock.pingReceived(7)).toBe(false);
    expect(clock.pingReceived(Number.NaN)).toBe(false);
  });
});
