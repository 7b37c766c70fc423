#!/usr/bin/env node
'use strict';
// Committed shim so package managers can link the bin before the TypeScript build has run.
require('../dist/cli.js');
