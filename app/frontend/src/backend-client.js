// Calls to the backend's JSON API. Every call has a deadline, so a slow backend cannot pile up
// requests in the frontend.

export class BackendError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export function backendClient({ backendUrl, backendTimeoutMs }) {
  async function call(path, init = {}) {
    let response;
    try {
      response = await fetch(`${backendUrl}${path}`, {
        ...init,
        signal: AbortSignal.timeout(backendTimeoutMs),
      });
    } catch (error) {
      throw new BackendError(`backend unreachable: ${error.name}`, undefined);
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new BackendError(body.error ?? `backend answered ${response.status}`, response.status);
    }
    return body;
  }

  return {
    health: () => call('/healthz'),
    listNotes: async () => (await call('/api/notes')).notes,
    addNote: (text) =>
      call('/api/notes', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text }),
      }),
  };
}
