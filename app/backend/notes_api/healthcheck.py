"""The image's HEALTHCHECK: exit 0 when /healthz answers 200. The runtime image has no shell or
curl, so the probe is Python."""
import os
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 3


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '5000')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError):
        return 1


if __name__ == "__main__":
    sys.exit(main())
