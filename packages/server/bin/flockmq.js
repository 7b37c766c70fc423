#!/usr/bin/env -S node --max-semi-space-size=2
'use strict';
// Committed shim so package managers can link the bin before the TypeScript build has run.
// --max-semi-space-size=2 (MB): V8's young generation otherwise grows to 48 MB during a connect
// storm and keeps it, about 2.5 KB per connection at 19,000 connections (docs/performance.md).
// The image's ENTRYPOINT passes the same flag. A command-line flag wins over NODE_OPTIONS: to change it,
// run node yourself (`node --max-semi-space-size=16 bin/flockmq.js start`, or the container's `command`).
require('../dist/cli.js');
