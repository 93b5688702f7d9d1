// The image's HEALTHCHECK: exit 0 when /healthz answers 200. The runtime image has no shell or
// curl, so the probe is Node.
const port = process.env.PORT ?? '3000';

try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) });
  process.exit(response.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
