/**
 * Where a consumer's CPU went, from the V8 CPU profile `--cpu-prof` writes when the process exits: the share of
 * samples by origin (our folders, each library, GC, idle) and the top functions by self time. Pure: the bench reads
 * the file and hands the profile here.
 */

/** The part of a .cpuprofile this reads (Chrome DevTools' format, as node --cpu-prof writes it). */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Share of the sampled time by origin, largest first. */
  origins: Array<{ origin: string; share: number }>;
  /** The functions with the most self time, largest first. */
  functions: Array<{ name: string; origin: string; share: number }>;
}

/** What a sample's function belongs to: a package under node_modules, one of our folders, or V8's own work. */
export function originOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName.slice(1, -1) : 'native';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node';
  const ours = /\/dist\/((?:src\/[^/]+|[^/]+))\//.exec(url) ?? /\/dist\/(src)\/[^/]+$/.exec(url);
  return ours ? ours[1] : 'other';
}

export function summarizeProfile(profile: CpuProfile, top = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byOrigin = new Map<string, number>();
  const byFunction = new Map<string, { name: string; origin: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!frame) return;
    total += us;
    const origin = originOf(frame.url, frame.functionName);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + us);
    const file = frame.url.split('/').pop() ?? '';
    const name = `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
    const f = byFunction.get(name) ?? { name, origin, us: 0 };
    f.us += us;
    byFunction.set(name, f);
  });
  const share = (us: number) => (total ? us / total : 0);
  return {
    origins: [...byOrigin]
      .map(([origin, us]) => ({ origin, share: share(us) }))
      .sort((a, b) => b.share - a.share),
    functions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, origin: f.origin, share: share(f.us) })),
  };
}
