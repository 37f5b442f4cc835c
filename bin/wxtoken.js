#!/usr/bin/env node
// Taken before the CLI's modules load: loading them is what makes a full garbage collection likely during start-up
// (see src/server/next-tick-shapes.ts).
import { anchorNextTickShapes } from '../dist/server/next-tick-shapes.js';

anchorNextTickShapes();
await import('../dist/cli/main.js');
