import { describe, expect, it } from 'vitest';
import { type CpuProfile, originOf, summarizeProfile } from '../../tools/bench/cpu-profile';

describe("the bench's CPU profile summary", () => {
  it('names where a function comes from: a package, our folders, Node, V8', () => {
    expect(originOf('file:///w/node_modules/kafkajs/src/producer/x.js', 'f')).toBe('kafkajs');
    expect(originOf('file:///w/node_modules/@temporalio/worker/lib/a.js', 'f')).toBe('@temporalio/worker');
    expect(originOf('file:///w/dist/src/core/csv.js', 'tokenize')).toBe('src/core');
    expect(originOf('file:///w/dist/src/config.js', 'loadConfig')).toBe('src');
    expect(originOf('file:///w/dist/activities/flush-part.js', 'plan')).toBe('activities');
    expect(originOf('node:internal/buffer', 'FastBuffer')).toBe('node');
    expect(originOf('', '(garbage collector)')).toBe('garbage collector');
    expect(originOf('', 'writeBuffer')).toBe('native');
  });

  it('adds self time by origin and by function, as shares of all samples', () => {
    const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(garbage collector)', '') },
        { id: 2, callFrame: frame('encode', 'file:///w/dist/src/core/message.js', 9) },
        { id: 3, callFrame: frame('send', 'file:///w/node_modules/kafkajs/src/producer/index.js', 41) },
      ],
      samples: [2, 3, 3, 1, 2, 3, 9],
      timeDeltas: [100, 100, 100, 100, 100, 200, 100],
    };
    const summary = summarizeProfile(profile, 2);
    // 700 µs sampled from known nodes (the unknown node 9 is skipped): kafkajs 400, src/core 200, GC 100.
    expect(summary.origins).toEqual([
      { origin: 'kafkajs', share: 4 / 7 },
      { origin: 'src/core', share: 2 / 7 },
      { origin: 'garbage collector', share: 1 / 7 },
    ]);
    expect(summary.functions).toEqual([
      { name: 'send index.js:42', origin: 'kafkajs', share: 4 / 7 },
      { name: 'encode message.js:10', origin: 'src/core', share: 2 / 7 },
    ]);
  });
});
