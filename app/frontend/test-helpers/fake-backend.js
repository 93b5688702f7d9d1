// A stand-in for the backend's API on 127.0.0.1, with the same routes and answers.
import http from 'node:http';

export async function startFakeBackend({ healthy = true } = {}) {
  const notes = [];
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    requests.push({ method: req.method, url: req.url, body });
    const reply = (status, value) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (!healthy) return reply(503, { error: 'database unavailable' });
    if (req.method === 'GET' && req.url === '/healthz') return reply(200, { status: 'ok' });
    if (req.method === 'GET' && req.url === '/api/notes') return reply(200, { notes: [...notes].reverse() });
    if (req.method === 'POST' && req.url === '/api/notes') {
      const text = JSON.parse(body).text?.trim();
      if (!text) return reply(400, { error: "expected a JSON object with a non-empty 'text'" });
      const note = { id: notes.length + 1, text, created_at: '2030-01-02T03:04:05+00:00' };
      notes.push(note);
      return reply(201, note);
    }
    return reply(404, { error: 'no such route' });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    notes,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

export async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

// A loopback port that nothing listens on: bind, note the port, close.
export async function closedPortUrl() {
  const server = http.createServer();
  const url = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return url;
}
