// The entry point and the image's HEALTHCHECK probe, run as the image runs them.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

import { closedPortUrl } from '../test-helpers/fake-backend.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));

function probe(port) {
  return spawnSync(process.execPath, ['src/healthcheck.js'], {
    cwd: appDir,
    env: { ...process.env, PORT: String(port) },
    timeout: 10000,
  }).status;
}

test('starts, passes its health check, and exits cleanly on SIGTERM', async () => {
  const port = new URL(await closedPortUrl()).port;
  const child = spawn(process.execPath, ['src/main.js'], {
    cwd: appDir,
    env: { ...process.env, PORT: port, HOST: '127.0.0.1', BACKEND_URL: await closedPortUrl() },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [firstLine] = await once(child.stdout, 'data');
    assert.match(firstLine.toString(), new RegExp(`listening on 127.0.0.1:${port}`));
    assert.equal(probe(port), 0);
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.equal(probe(port), 1);
});

test('refuses to start with a bad setting', () => {
  const result = spawnSync(process.execPath, ['src/main.js'], {
    cwd: appDir,
    env: { ...process.env, PORT: 'eighty' },
    encoding: 'utf8',
    timeout: 10000,
  });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /PORT must be a TCP port number/);
});
