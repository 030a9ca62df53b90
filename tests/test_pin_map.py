"""The photo page's pin map (issue 19, item 9): the tiles under it cover the whole frame,
never more than a handful, and only when a tile server is configured."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from fieldwork.areas.mapsvg import MAX_TILES, WIDTH, MapFrame, tiles_for
from tests.test_photos import achel  # noqa: F401 (fixture)

URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"


def frame_of(west: float, north: float, width_deg: float, height_deg: float) -> MapFrame:
    kx = WIDTH / width_deg
    ky = kx / math.cos(math.radians(north - height_deg / 2))
    return MapFrame(west=west, north=north, kx=kx, ky=ky, height=height_deg * ky)


@settings(max_examples=200, deadline=None)
@given(
    west=st.floats(2.5, 6.0),
    north=st.floats(49.6, 51.6),
    width_deg=st.floats(0.005, 0.6),
    height_deg=st.floats(0.005, 0.6),
)
def test_the_tiles_cover_the_frame_and_stay_few(west, north, width_deg, height_deg):
    frame = frame_of(west, north, width_deg, height_deg)
    tiles = tiles_for(frame, URL)
    assert 1 <= len(tiles) <= MAX_TILES
    left = min(t.x for t in tiles)
    top = min(t.y for t in tiles)
    right = max(t.x + t.width for t in tiles)
    bottom = max(t.y + t.height for t in tiles)
    slack = 1e-6 * WIDTH
    assert left <= slack
    assert top <= slack
    assert right >= WIDTH - slack
    assert bottom >= frame.height - slack
    # side by side without gaps: each tile as wide as its row's neighbours, nearly square
    for t in tiles:
        assert t.width > 0
        assert 0.9 < t.height / t.width < 1.1
        assert t.href.startswith("https://")
        assert "{" not in t.href


def test_no_tile_server_no_tiles():
    assert tiles_for(frame_of(5.4, 51.25, 0.1, 0.08), "") == []


def test_the_photo_page_shows_tiles_only_when_configured(app, client, achel):  # noqa: F811
    page = client.get(f"/f/{achel['token']}").get_data(as_text=True)
    assert 'class="area"' in page
    assert 'class="area-name"' in page
    assert "<image" not in page
    app.config["MAP_TILES_URL"] = URL
    page = client.get(f"/f/{achel['token']}").get_data(as_text=True)
    assert "https://a.tile.example.org/" in page or "https://b.tile.example.org/" in page
    assert 'class="pin-map tiled"' in page
