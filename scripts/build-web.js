// Bundles the dashboard page (app/dashboard/web) into dist/web with esbuild: one script, its CSS and HTML,
// everything from npm (ECharts, us-atlas shapes) inside, so the page works offline.
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const src = path.join(root, 'app', 'dashboard', 'web');
const out = path.join(root, 'dist', 'web');

fs.mkdirSync(out, { recursive: true });
esbuild.buildSync({
  entryPoints: [path.join(src, 'main.ts')],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'iife',
  target: ['es2020'],
  outfile: path.join(out, 'main.js'),
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) fs.copyFileSync(path.join(src, file), path.join(out, file));
const bytes = fs.statSync(path.join(out, 'main.js')).size;
console.log(`build-web: dist/web/main.js ${(bytes / 1024).toFixed(0)} KiB`);
