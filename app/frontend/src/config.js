// Settings come from the environment only, so the same image runs in every stack.

export class ConfigError extends Error {}

function port(text, name) {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 65535) {
    throw new ConfigError(`${name} must be a TCP port number, got ${JSON.stringify(text)}`);
  }
  return value;
}

export function loadConfig(env = process.env) {
  const backendUrl = env.BACKEND_URL ?? 'http://backend:5000';
  let parsed;
  try {
    parsed = new URL(backendUrl);
  } catch {
    throw new ConfigError(`BACKEND_URL is not a URL: ${JSON.stringify(backendUrl)}`);
  }
  if (!['http:', 'https:'].includes(parsed.protocol)) {
    throw new ConfigError(`BACKEND_URL must be http or https, got ${parsed.protocol}`);
  }
  return {
    host: env.HOST ?? '0.0.0.0',
    port: port(env.PORT ?? '3000', 'PORT'),
    backendUrl: parsed.href.replace(/\/$/, ''),
    backendTimeoutMs: port(env.BACKEND_TIMEOUT_MS ?? '3000', 'BACKEND_TIMEOUT_MS'),
  };
}
