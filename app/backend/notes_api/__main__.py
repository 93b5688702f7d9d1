"""Start the backend: `python -m notes_api` with DATABASE_URL (and optionally DB_PASSWORD_FILE, PORT, HOST) set."""
import logging
import signal
import sys
import threading

from notes_api.http_api import make_server
from notes_api.settings import SettingsError, load_settings
from notes_api.store import NoteStore


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings()
    except SettingsError as error:
        logging.error("%s", error)
        return 2
    server = make_server(settings.host, settings.port, NoteStore(settings.database_url, settings.password_file))
    # Kubernetes stops pods with SIGTERM: finish the requests in flight, then exit.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    logging.info("listening on %s:%d", settings.host, server.server_address[1])
    with server:
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
