import { describe, expect, it } from 'vitest';
import {
  addStageMs,
  emptyStageMs,
  parseProfileLine,
  profileLine,
  quantile,
  StageClock,
} from '../../src/core/profile';

describe('StageClock', () => {
  it('charges the time since the last mark to the stage marked, and nothing across a restart', () => {
    let t = 1000;
    const clock = new StageClock(emptyStageMs(), () => t);
    t += 5;
    clock.mark('kafkaRead');
    t += 7;
    clock.mark('plan');
    t += 100; // a test's fault pause
    clock.restart();
    t += 3;
    clock.mark('commit');
    t += 2;
    clock.mark('kafkaRead');
    expect(clock.take()).toEqual({ ...emptyStageMs(), kafkaRead: 7, plan: 7, commit: 3 });
    t += 4;
    clock.mark('wait');
    expect(clock.take()).toEqual({ ...emptyStageMs(), wait: 4 });
  });

  it('adds profiles stage by stage', () => {
    const sum = addStageMs(emptyStageMs(), { cassandra: 2, commit: 1 });
    addStageMs(sum, { cassandra: 3 });
    expect(sum).toEqual({ ...emptyStageMs(), cassandra: 5, commit: 1 });
  });
});

describe('profile lines', () => {
  it('round-trip, rounded to milliseconds, and other lines are not profiles', () => {
    const ms = { ...emptyStageMs(), plan: 1.6, wait: 499.2 };
    const line = profileLine({ windowStartMs: 15000, records: 42, complete: true, ms });
    expect(parseProfileLine(`2026-11-26 INFO ${line}`)).toEqual({
      windowStartMs: 15000,
      records: 42,
      complete: true,
      ms: { ...emptyStageMs(), plan: 2, wait: 499 },
    });
    expect(parseProfileLine('worker: polling task queue')).toBeNull();
    expect(parseProfileLine('salesflow-profile {not json')).toBeNull();
  });
});

describe('quantile (nearest rank)', () => {
  it('picks the value at the rank, whatever the input order', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(quantile(values, 0.5)).toBe(5);
    expect(quantile(values, 0.99)).toBe(10);
    expect(quantile(values, 1)).toBe(10);
    expect(quantile(values, 0)).toBe(1);
    expect(quantile([0.3], 0.99)).toBe(0.3);
    expect(values[0]).toBe(5); // not sorted in place
  });

  it('is NaN for no values', () => {
    expect(quantile([], 0.5)).toBeNaN();
  });
});
