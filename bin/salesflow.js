#!/usr/bin/env node
// Entry point for `npx salesflow`: runs the compiled CLI (built by `npm install` via the prepare script).
require('../dist/src/cli/main.js').main(process.argv.slice(2));
