// vitest setup file: after each test file, kill the server processes its tests left running
// (test/support/child-processes.ts).
import { afterAll } from 'vitest';
import { killLeftoverChildren } from './child-processes.js';

afterAll(async () => {
  await killLeftoverChildren();
});
