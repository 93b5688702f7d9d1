import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConfigError, loadConfig } from '../src/config.js';

test('defaults reach the backend service of the cluster on port 5000', () => {
  assert.deepEqual(loadConfig({}), {
    host: '0.0.0.0',
    port: 3000,
    backendUrl: 'http://backend:5000',
    backendTimeoutMs: 3000,
  });
});

test('BACKEND_URL and PORT are read from the environment', () => {
  const config = loadConfig({ BACKEND_URL: 'http://127.0.0.1:5001/', PORT: '8080' });
  assert.equal(config.backendUrl, 'http://127.0.0.1:5001');
  assert.equal(config.port, 8080);
});

test('bad settings are refused with the variable named', () => {
  assert.throws(() => loadConfig({ BACKEND_URL: 'not a url' }), ConfigError);
  assert.throws(() => loadConfig({ BACKEND_URL: 'file:///etc/passwd' }), /http or https/);
  assert.throws(() => loadConfig({ PORT: '70000' }), /PORT/);
  assert.throws(() => loadConfig({ PORT: '3000abc' }), /PORT/);
});
