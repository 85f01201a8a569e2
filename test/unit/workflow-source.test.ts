import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workflowSource } from '../../workers/worker';

describe('workflowSource', () => {
  let root: string;
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  /** A dist-like tree: root/workers (the worker's own folder), root/workflows/index.js, root/workflow-bundle.js. */
  function tree(opts: { bundle?: 'older' | 'newer'; compiled?: boolean }) {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'wf-source-'));
    fs.mkdirSync(path.join(root, 'workers'));
    fs.mkdirSync(path.join(root, 'workflows'));
    const index = path.join(root, 'workflows', 'index.js');
    const bundle = path.join(root, 'workflow-bundle.js');
    if (opts.compiled !== false) fs.writeFileSync(index, '');
    if (opts.bundle) {
      fs.writeFileSync(bundle, '');
      const t = Date.now() / 1000;
      if (opts.compiled !== false) fs.utimesSync(index, t, t);
      fs.utimesSync(
        bundle,
        t + (opts.bundle === 'newer' ? 10 : -10),
        t + (opts.bundle === 'newer' ? 10 : -10),
      );
    }
    return { workers: path.join(root, 'workers'), bundle, workflows: path.join(root, 'workflows') };
  }

  it('loads the prebuilt bundle when it is as new as the compiled workflows', () => {
    const t = tree({ bundle: 'newer' });
    expect(workflowSource(t.workers)).toEqual({ workflowBundle: { codePath: t.bundle } });
  });

  it('bundles at start when the bundle is older than the compiled workflows (a bare tsc since)', () => {
    const t = tree({ bundle: 'older' });
    expect(workflowSource(t.workers)).toEqual({ workflowsPath: t.workflows });
  });

  it('bundles at start without a bundle, or from the TypeScript sources', () => {
    expect(workflowSource(tree({}).workers)).toEqual({ workflowsPath: path.join(root, 'workflows') });
    fs.rmSync(root, { recursive: true, force: true });
    const t = tree({ compiled: false, bundle: 'newer' });
    expect(workflowSource(t.workers)).toEqual({ workflowsPath: t.workflows });
  });
});
