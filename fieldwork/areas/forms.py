from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length


class NeighbourhoodNameForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("A neighbourhood needs a name.")), Length(max=120)]
    )


class SectorsForm(FlaskForm):
    """Which sectors belong to this neighbourhood (choices filled in by the view)."""

    sectors = SelectMultipleField(_l("Sectors"), choices=[], validate_choice=True)


class FixupForm(FlaskForm):
    sector = StringField(_l("Sector code"), validators=[DataRequired(), Length(min=9, max=9)])
