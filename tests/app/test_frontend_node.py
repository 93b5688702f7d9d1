"""The frontend's own tests run with Node's test runner; this puts them in `make test`."""
import shutil
import subprocess
from pathlib import Path

FRONTEND_DIR = Path(__file__).resolve().parents[2] / "app" / "frontend"


def test_node_test_runner_passes():
    node = shutil.which("node")
    assert node, "Node.js 20 or newer is needed for the frontend's tests"
    result = subprocess.run([node, "--test", str(FRONTEND_DIR)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "# fail 0" in result.stdout
    assert "# pass 0" not in result.stdout
