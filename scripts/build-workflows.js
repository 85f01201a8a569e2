// Bundles the workflows (dist/workflows, compiled by tsc) into dist/workflow-bundle.js with Temporal's bundler,
// once at build time. A worker that finds it loads it as is; without it, Worker.create would run webpack at every
// start, and webpack's modules and garbage stay in the worker's heap for good (about 90 MB of its idle RSS).
const fs = require('node:fs');
const path = require('node:path');
const { bundleWorkflowCode, DefaultLogger } = require('@temporalio/worker');

const dist = path.resolve(__dirname, '..', 'dist');
const out = path.join(dist, 'workflow-bundle.js');

bundleWorkflowCode({ workflowsPath: path.join(dist, 'workflows'), logger: new DefaultLogger('WARN') }).then(
  ({ code }) => {
    fs.writeFileSync(out, code);
    console.log(`build-workflows: dist/workflow-bundle.js ${(code.length / 1024).toFixed(0)} KiB`);
  },
  (e) => {
    console.error(`build-workflows: ${e.message}`);
    process.exit(1);
  },
);
