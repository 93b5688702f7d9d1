// Start the frontend: `node src/main.js` with BACKEND_URL (and optionally PORT, HOST) set.
import { backendClient } from './backend-client.js';
import { ConfigError, loadConfig } from './config.js';
import { createFrontendServer } from './server.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const server = createFrontendServer({ backend: backendClient(config) });
server.listen(config.port, config.host, () => {
  console.log(`listening on ${config.host}:${server.address().port}, backend ${config.backendUrl}`);
});

// Kubernetes stops pods with SIGTERM: stop accepting, finish what is in flight, then exit.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
