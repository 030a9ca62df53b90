"""`flask areas import`: real Statbel data, idempotence, quirks, unknown codes."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldwork.areas.models import Municipality, Neighbourhood, Sector, SubMunicipality
from fieldwork.areas.statbel import decode_line
from fieldwork.extensions import db
from tests.conftest import import_areas

STATBEL = Path(__file__).resolve().parent.parent / "data" / "statbel"


def csv_rows() -> list[dict[str, str]]:
    lines = [
        decode_line(raw)
        for raw in (STATBEL / "statsec_deelgemeente_gemeente_2024.csv").read_bytes().splitlines()
    ]
    return list(csv.DictReader(lines, delimiter=";"))


ROWS_PER_MUNICIPALITY = Counter(row["gemeente"] for row in csv_rows())


def snapshot(app) -> list[tuple]:
    with app.app_context():
        return sorted(
            (
                s.code,
                s.name,
                s.sub_municipality.code,
                s.neighbourhood.name,
                s.neighbourhood.is_unlocatable,
                len(s.sub_municipality.geometry or ""),
            )
            for s in db.session.scalars(select(Sector))
        )


def test_import_moorslede_counts_and_report(app, runner):
    result = runner.invoke(args=["areas", "import", "--municipality", "36012"])
    assert result.exit_code == 0, result.output
    assert "15 located sectors" in result.output
    assert "2 neighbourhoods" in result.output
    assert "36012ZZZZ" in result.output
    with app.app_context():
        moorslede = db.session.scalars(select(Municipality).filter_by(code="36012")).one()
        located = [n for n in moorslede.neighbourhoods if not n.is_unlocatable]
        bucket = [n for n in moorslede.neighbourhoods if n.is_unlocatable]
        assert sorted(n.name for n in located) == ["Dadizele", "Moorslede"]
        assert sum(len(n.sectors) for n in located) == 15
        assert [s.code for s in bucket[0].sectors] == ["36012ZZZZ"]
        subs = {s.code: s for s in moorslede.sub_municipalities}
        assert subs["36012B"].geometry
        assert subs["36012A"].geometry
        assert subs["36012ONBE"].is_unlocatable
        assert subs["36012ONBE"].geometry is None


def test_reimport_changes_nothing(app, runner):
    runner.invoke(args=["areas", "import", "--municipality", "36012", "--municipality", "72037"])
    before = snapshot(app)
    result = runner.invoke(
        args=["areas", "import", "--municipality", "36012", "--municipality", "72037"]
    )
    assert result.exit_code == 0
    assert result.output.count("no changes") == 2
    assert "(0 new)" in result.output
    assert snapshot(app) == before


def test_reimport_keeps_the_coordinators_renames_and_regrouping(app):
    import_areas(app, "36012")
    with app.app_context():
        dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        dadizele.name = "Dadizele-dorp"
        moved = db.session.scalars(select(Sector).filter_by(code="36012A001")).one()
        moved.neighbourhood = dadizele
        db.session.commit()
    import_areas(app, "36012")
    with app.app_context():
        sector = db.session.scalars(select(Sector).filter_by(code="36012A001")).one()
        assert sector.neighbourhood.name == "Dadizele-dorp"
        assert db.session.scalar(select(func.count()).select_from(Neighbourhood)) == 3


def test_unknown_municipality_fails_and_writes_nothing(app, runner):
    result = runner.invoke(
        args=["areas", "import", "--municipality", "36012", "--municipality", "99999"]
    )
    assert result.exit_code != 0
    assert "99999" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Municipality)) == 0


def test_code_mismatches_between_files_are_reported(app, runner):
    result = runner.invoke(
        args=["areas", "import", "--municipality", "11002", "--municipality", "44021"]
    )
    assert result.exit_code == 0, result.output
    assert "normalised: CSV 11002-Y = polygon 11002Y" in result.output
    assert "polygon, not in the CSV" in result.output  # Gent's older coding
    with app.app_context():
        berendrecht = db.session.scalars(select(SubMunicipality).filter_by(code="11002-Y")).one()
        assert berendrecht.polygon_code == "11002Y"
        assert berendrecht.geometry


def test_misencoded_walloon_names_import(app, runner):
    mis_encoded = next(
        row["gemeente"]
        for row in csv_rows()
        if "\ufffd" in row["deelgemeente_naam"]
        or any(ord(ch) > 127 for ch in row["deelgemeente_naam"])
    )
    result = runner.invoke(args=["areas", "import", "--municipality", mis_encoded])
    assert result.exit_code == 0, result.output
    assert "in the CSV, no polygon" in result.output  # Wallonia has no polygons in the file


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(codes=st.lists(st.sampled_from(sorted(ROWS_PER_MUNICIPALITY)), min_size=1, max_size=3))
def test_every_imported_sector_sits_in_exactly_one_neighbourhood(app, codes):
    import_areas(app, *codes)
    with app.app_context():
        for code in set(codes):
            municipality = db.session.scalars(select(Municipality).filter_by(code=code)).one()
            sectors = [s for n in municipality.neighbourhoods for s in n.sectors]
            assert len(sectors) == ROWS_PER_MUNICIPALITY[code]
            assert len({s.code for s in sectors}) == len(sectors)
            assert sum(n.is_unlocatable for n in municipality.neighbourhoods) == 1
            located_subs = [s for s in municipality.sub_municipalities if not s.is_unlocatable]
            assert len([n for n in municipality.neighbourhoods if not n.is_unlocatable]) == len(
                located_subs
            )
