"""`flask areas streets load`: encodings, separators, bad rows, idempotence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldwork.areas.models import Street
from fieldwork.areas.streets import street_key
from fieldwork.extensions import db


def street_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Street))


def write(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "streets.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_latin1_excel_file_with_commas_loads_and_reloads_idempotently(moorslede, runner, tmp_path):
    path = write(
        tmp_path,
        "street,postcode,statsec\r\nRue de l'Église,8890,36012A001\r\n"
        "\r\nDadizeleplaats,8890,36012b001\r\n",
        "cp1252",
    )
    first = runner.invoke(args=["areas", "streets", "load", path])
    assert first.exit_code == 0, first.output
    assert "2 new" in first.output
    second = runner.invoke(args=["areas", "streets", "load", path])
    assert "0 new, 0 updated, 2 unchanged" in second.output
    with moorslede.app_context():
        names = sorted(db.session.scalars(select(Street.street)))
    assert names == ["Dadizeleplaats", "Rue de l'Église"]


def test_utf8_bom_and_semicolons(moorslede, runner, tmp_path):
    path = write(tmp_path, "\ufeffstreet;postcode;statsec\nOliekotstraat;8890;36012B090\n")
    assert runner.invoke(args=["areas", "streets", "load", path]).exit_code == 0
    assert street_count(moorslede) == 1


def test_bad_rows_are_reported_by_line_and_nothing_is_written(moorslede, runner, tmp_path):
    path = write(
        tmp_path,
        "street;postcode;statsec\nKerkstraat;8890;36012A001\n"
        ";8890;36012A001\nMarkt;12;36012A001\nMarkt;8890;99999X999\n"
        "kerkstraat;8890;36012A022\n",
    )
    result = runner.invoke(args=["areas", "streets", "load", path])
    assert result.exit_code != 0
    for expected in (
        "line 3: street is empty",
        "line 4: postcode '12'",
        "line 5: sector '99999X999'",
        "line 6: duplicate of line 2",
    ):
        assert expected in result.output
    assert street_count(moorslede) == 0
    partial = runner.invoke(args=["areas", "streets", "load", path, "--skip-invalid"])
    assert partial.exit_code == 0
    assert street_count(moorslede) == 1


def test_wrong_header_is_refused(moorslede, runner, tmp_path):
    path = write(tmp_path, "straat;postcode\nKerkstraat;8890\n")
    result = runner.invoke(args=["areas", "streets", "load", path])
    assert result.exit_code != 0
    assert "street;postcode;statsec" in result.output


letters = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèëïöüç '-.", min_size=1, max_size=30)


@given(letters)
def test_street_key_ignores_case_accents_spacing_and_punctuation(name):
    key = street_key(name)
    assert street_key(name.upper()) == key
    assert street_key(f"  {name}  ") == key
    assert street_key(name.replace("é", "e").replace("ë", "e")) == key
    assert street_key(name.replace(" ", "  ")) == key


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=20))
def test_street_abbreviation_matches_the_full_word(stem):
    assert street_key(f"{stem}str.") == street_key(f"{stem}straat")
    assert street_key(f"{stem} Stwg") == street_key(f"{stem} steenweg")
