import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/core/pacing';

const order = (createdAt = '2019-01-01T00:00:00.000Z') => ({ createdAt });

describe('Pacer', () => {
  it('publishes everything at once with max', () => {
    const p = new Pacer({ max: true }, () => 0);
    expect([p.delayFor(order()), p.delayFor(order()), p.delayFor(order())]).toEqual([0, 0, 0]);
  });

  it('spaces orders evenly at a rate, scheduling from due times', () => {
    let now = 0;
    const p = new Pacer({ rate: 4 }, () => now);
    expect(p.delayFor(order())).toBe(0);
    expect(p.delayFor(order())).toBe(250);
    now = 300; // the timer fired 50 ms late: the next wait is shorter so the rate holds
    expect(p.delayFor(order())).toBe(200);
  });

  it('replays Created At gaps faster by the speedup, treating backwards gaps as zero', () => {
    const now = 0;
    const p = new Pacer({ speedup: 60 }, () => now);
    expect(p.delayFor(order('2019-01-01T00:00:00.000+00:00'))).toBe(0);
    expect(p.delayFor(order('2019-01-01T00:01:00.000+00:00'))).toBe(1000);
    expect(p.delayFor(order('2018-01-01T00:00:00.000+00:00'))).toBe(1000);
  });

  it('caps a huge gap', () => {
    const p = new Pacer({ speedup: 1 }, () => 0);
    p.delayFor(order('2016-01-01T00:00:00Z'));
    expect(p.delayFor(order('2020-01-01T00:00:00Z'))).toBe(60_000);
  });

  it('does not burst more than a second after a stall', () => {
    let now = 0;
    const p = new Pacer({ rate: 10 }, () => now);
    p.delayFor(order());
    now = 60_000;
    let immediate = 0;
    while (p.delayFor(order()) === 0) immediate++;
    expect(immediate).toBeLessThanOrEqual(11);
  });
});
