// HTTP routes of the frontend. The backend client is passed in, so tests can point it anywhere.
import http from 'node:http';

import { BackendError } from './backend-client.js';
import { notesPage } from './pages.js';

const MAX_FORM_BYTES = 4096;

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function send(res, status, contentType, body, extraHeaders = {}) {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    ...extraHeaders,
  });
  res.end(body);
}

const sendJson = (res, status, value) => send(res, status, 'application/json', JSON.stringify(value));
const sendPage = (res, status, html) => send(res, status, 'text/html; charset=utf-8', html);

async function readForm(req) {
  if (req.headers['content-type']?.split(';')[0].trim() !== 'application/x-www-form-urlencoded') {
    throw new HttpError(415, 'expected a form');
  }
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) {
      throw new HttpError(413, 'form too large');
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// A backend failure shows as 502 (it is down) or, for a refused note, as the backend's 400.
function backendFailure(error) {
  if (!(error instanceof BackendError)) throw error;
  return error.status === 400
    ? { status: 400, message: error.message }
    : { status: 502, message: 'The notes service is unavailable. Try again shortly.' };
}

function routes(backend) {
  return {
    'GET /healthz': async (req, res) => sendJson(res, 200, { status: 'ok' }),

    'GET /readyz': async (req, res) => {
      try {
        await backend.health();
        sendJson(res, 200, { status: 'ok', backend: 'ok' });
      } catch (error) {
        backendFailure(error);
        sendJson(res, 503, { status: 'unavailable', backend: 'unreachable' });
      }
    },

    'GET /': async (req, res) => {
      try {
        sendPage(res, 200, notesPage({ notes: await backend.listNotes() }));
      } catch (error) {
        const failure = backendFailure(error);
        sendPage(res, failure.status, notesPage({ error: failure.message }));
      }
    },

    'POST /notes': async (req, res) => {
      const text = (await readForm(req)).get('text') ?? '';
      try {
        await backend.addNote(text);
        send(res, 303, 'text/plain', 'added', { Location: '/' });
      } catch (error) {
        const failure = backendFailure(error);
        sendPage(res, failure.status, notesPage({ error: failure.message }));
      }
    },
  };
}

export function createFrontendServer({ backend, log = console }) {
  const table = routes(backend);
  return http.createServer(async (req, res) => {
    const path = new URL(req.url, 'http://frontend').pathname;
    const handler = table[`${req.method} ${path}`];
    try {
      if (!handler) {
        const known = Object.keys(table).some((route) => route.endsWith(` ${path}`));
        throw new HttpError(known ? 405 : 404, known ? 'method not allowed' : 'not found');
      }
      await handler(req, res);
    } catch (error) {
      if (!(error instanceof HttpError)) {
        log.error(`${req.method} ${path} failed: ${error.stack}`);
      }
      if (!res.headersSent) {
        send(res, error.status ?? 500, 'text/plain', error instanceof HttpError ? error.message : 'internal error');
      }
    }
  });
}
