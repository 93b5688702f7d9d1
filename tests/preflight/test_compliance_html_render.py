"""The HTML report as a browser draws it: rendered by headless Chromium (Debian's chromium, which
.ci/run installs), its screenshot read pixel by pixel, and printed to PDF. Never skipped: without
a browser the test fails.

The screenshot proves what the markup alone cannot: the page renders offline into something, the
matrix is drawn first and in its status colours, the violations after it, the trend last as a
chart with a line per severity. The PDF proves it prints: A4 landscape pages from the print styles.
"""
from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from preflight.formats import renderer
from test_compliance_formats import rich  # noqa: F401 - the report fixture

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars")
# Half scale keeps the whole page in one small image; solid fills keep their exact colour.
SCALE, WIDTH, HEIGHT = 0.5, 1280, 16000
MANUAL_BADGE = (0xEA, 0xEE, 0xF2)
NOT_EVALUATED_BADGE = (0xDD, 0xF4, 0xFF)
HIGH_ROW = (0xFF, 0xF1, 0xE5)
TREND = {"critical": (0xA4, 0x0E, 0x26), "high": (0xCF, 0x22, 0x2E), "medium": (0xBF, 0x87, 0x00),
         "low": (0x09, 0x69, 0xDA), "unspecified": (0x6E, 0x77, 0x81)}
LOW_LINE = TREND["low"]


def chromium() -> str:
    # Debian's package here (.ci/run installs it); the GitHub runners' preinstalled Chrome there.
    found = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    assert found, "no Chromium: .ci/run installs Debian's chromium package"
    return found


def run_chromium(tmp_path: Path, *args: str) -> None:
    profile = tmp_path / "profile"
    subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                   check=True, capture_output=True, timeout=180)


def decode_png(data: bytes) -> tuple[int, int, list[bytes], int]:
    """(width, height, rows of pixels, bytes per pixel) of an 8-bit RGB or RGBA PNG, as Chromium writes them."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed += body
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0
    pixel = 3 if colour == 2 else 4
    raw, stride, rows, previous = zlib.decompress(compressed), width * pixel, [], bytearray(width * pixel)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            left = line[x - pixel] if x >= pixel else 0
            up, corner = previous[x], previous[x - pixel] if x >= pixel else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                a, b, c = abs(guess - left), abs(guess - up), abs(guess - corner)
                line[x] = (line[x] + (left if a <= b and a <= c else up if b <= c else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, rows, pixel


def first_row_with(rows: list[bytes], pixel: int, colour: tuple[int, int, int]) -> int | None:
    needle = bytes(colour)
    for y, row in enumerate(rows):
        for x in range(0, len(row), pixel):
            if row[x:x + 3] == needle:
                return y
    return None


@pytest.fixture(scope="module")
def rendered(rich, tmp_path_factory):  # noqa: F811 - the fixture
    tmp_path = tmp_path_factory.mktemp("render")
    page = tmp_path / "report.html"
    page.write_text(renderer("html")(rich), encoding="utf-8")
    shot, pdf = tmp_path / "report.png", tmp_path / "report.pdf"
    run_chromium(tmp_path, f"--force-device-scale-factor={SCALE}", f"--window-size={WIDTH},{HEIGHT}",
                 f"--screenshot={shot}", page.as_uri())
    run_chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    return decode_png(shot.read_bytes()), pdf.read_bytes()


def test_the_page_renders_offline_at_the_asked_size(rendered):
    (width, height, rows, pixel), _ = rendered
    assert width == WIDTH * SCALE and height == HEIGHT * SCALE
    colours = {row[x:x + 3] for row in rows[::50] for x in range(0, len(row), pixel * 10)}
    assert len(colours) > 20  # text, rules, badges: not a blank or error page


def test_the_matrix_is_drawn_first_then_the_violations_then_the_trend(rendered):
    (_, _, rows, pixel), _ = rendered
    matrix = first_row_with(rows, pixel, MANUAL_BADGE)
    not_evaluated = first_row_with(rows, pixel, NOT_EVALUATED_BADGE)
    violations = first_row_with(rows, pixel, HIGH_ROW)
    trend = first_row_with(rows, pixel, LOW_LINE)
    assert None not in (matrix, not_evaluated, violations, trend)
    assert max(matrix, not_evaluated) < 200 < violations < trend  # the matrix's summary is near the top


def test_the_trend_is_drawn_with_a_line_per_severity(rendered):
    (_, _, rows, pixel), _ = rendered
    trend = first_row_with(rows, pixel, LOW_LINE)
    chart = rows[trend - 10:trend + 150]
    for severity, colour in TREND.items():
        assert first_row_with(chart, pixel, colour) is not None, severity


def test_it_prints_on_a4_landscape_pages(rendered):
    _, pdf = rendered
    assert pdf.startswith(b"%PDF-")
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf)
    boxes = {tuple(round(float(n)) for n in box.split()) for box in re.findall(rb"/MediaBox\s*\[([^\]]+)\]", pdf)}
    assert len(pages) > 1 and boxes == {(0, 0, 842, 595)}
