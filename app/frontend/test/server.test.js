import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backendClient } from '../src/backend-client.js';
import { createFrontendServer } from '../src/server.js';
import { closedPortUrl, listen, startFakeBackend } from '../test-helpers/fake-backend.js';

const quietLog = { error: () => {} };

async function startFrontend(backendUrl) {
  const server = createFrontendServer({
    backend: backendClient({ backendUrl, backendTimeoutMs: 2000 }),
    log: quietLog,
  });
  const url = await listen(server);
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

const postForm = (url, form) =>
  fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });

describe('with the backend up', () => {
  let backend;
  let frontend;
  before(async () => {
    backend = await startFakeBackend();
    frontend = await startFrontend(backend.url);
  });
  after(async () => {
    await frontend.close();
    await backend.close();
  });

  test('healthz answers without asking the backend', async () => {
    const before = backend.requests.length;
    const response = await fetch(`${frontend.url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
    assert.equal(backend.requests.length, before);
  });

  test('readyz asks the backend', async () => {
    const response = await fetch(`${frontend.url}/readyz`);
    assert.equal(response.status, 200);
    assert.equal(backend.requests.at(-1).url, '/healthz');
  });

  test('a posted note goes to the backend and shows on the page, escaped', async () => {
    const response = await postForm(`${frontend.url}/notes`, { text: '<script>alert(1)</script> & more' });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/');
    assert.deepEqual(JSON.parse(backend.requests.at(-1).body), { text: '<script>alert(1)</script> & more' });

    const page = await fetch(`${frontend.url}/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; more/);
    assert.doesNotMatch(html, /<script>/);
  });

  test('every answer carries the security headers', async () => {
    const response = await fetch(`${frontend.url}/`);
    assert.match(response.headers.get('content-security-policy'), /default-src 'none'/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  });

  test("the backend's refusal of an empty note is shown as a 400", async () => {
    const response = await postForm(`${frontend.url}/notes`, { text: '   ' });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /non-empty/);
  });

  test('a form over 4 KiB is refused before it reaches the backend', async () => {
    const before = backend.requests.length;
    const response = await postForm(`${frontend.url}/notes`, { text: 'x'.repeat(5000) });
    assert.equal(response.status, 413);
    assert.equal(backend.requests.length, before);
  });

  test('a body that is not a form is refused', async () => {
    const response = await fetch(`${frontend.url}/notes`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(response.status, 415);
  });

  test('unknown paths are 404 and wrong methods 405', async () => {
    assert.equal((await fetch(`${frontend.url}/admin`)).status, 404);
    assert.equal((await fetch(`${frontend.url}/notes`)).status, 405);
  });
});

describe('with the backend down', () => {
  let frontend;
  before(async () => {
    frontend = await startFrontend(await closedPortUrl());
  });
  after(() => frontend.close());

  test('healthz still answers: the frontend itself is fine', async () => {
    assert.equal((await fetch(`${frontend.url}/healthz`)).status, 200);
  });

  test('readyz reports the backend unreachable', async () => {
    const response = await fetch(`${frontend.url}/readyz`);
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), { status: 'unavailable', backend: 'unreachable' });
  });

  test('the page says the service is unavailable with a 502', async () => {
    const response = await fetch(`${frontend.url}/`);
    assert.equal(response.status, 502);
    assert.match(await response.text(), /unavailable/);
  });
});

describe('with the backend failing', () => {
  let backend;
  let frontend;
  before(async () => {
    backend = await startFakeBackend({ healthy: false });
    frontend = await startFrontend(backend.url);
  });
  after(async () => {
    await frontend.close();
    await backend.close();
  });

  test('a 503 from the backend becomes a 502 page and a 503 readyz', async () => {
    assert.equal((await fetch(`${frontend.url}/`)).status, 502);
    assert.equal((await fetch(`${frontend.url}/readyz`)).status, 503);
  });
});
