#!/usr/bin/env -S node --max-semi-space-size=2
'use strict';
// Committed shim so package managers can link the bin before the TypeScript build has run.
// --max-semi-space-size=2 (MB): V8's young generation otherwise grows to 48 MB during a connect
// storm and keeps it, about 2.5 KB per connection at 19,000 connections (docs/performance.md).
// The Dockerfile's ENTRYPOINT passes the same flag; NODE_OPTIONS can override it.
require('../dist/cli.js');
