"""Rule matching: table-driven cases and properties."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldwork.routing.engine import (
    Facts,
    RuleSpec,
    age_from_birth_year,
    describe,
    first_match,
    pick_least_loaded,
    rule_matches,
)
from fieldwork.signals.vocabulary import DOMAINS, SOURCES, THEMES

DADIZELE, MOORSLEDE = 1, 2
FACTS = Facts(
    neighbourhood_id=DADIZELE,
    theme="eenzaamheid",
    domain="welzijn",
    source="manual",
    urgency="normal",
    age=82,
)


@pytest.mark.parametrize(
    ("conditions", "matches"),
    [
        ({}, True),
        ({"neighbourhoods": [DADIZELE]}, True),
        ({"neighbourhoods": [MOORSLEDE]}, False),
        ({"neighbourhoods": [MOORSLEDE, DADIZELE], "themes": ["eenzaamheid"]}, True),
        ({"themes": ["zorgnood"]}, False),
        ({"domains": ["welzijn"], "age_min": 80}, True),
        ({"age_min": 85}, False),
        ({"sources": ["visit"]}, False),
        ({"urgency": "urgent"}, False),
        ({"urgency": None, "themes": []}, True),
    ],
)
def test_rule_matching_table(conditions, matches):
    assert rule_matches(conditions, FACTS) is matches


def test_unknown_age_never_satisfies_an_age_band():
    assert (
        rule_matches(
            {"age_min": 65}, Facts(1, "eenzaamheid", "welzijn", "manual", "normal", age=None)
        )
        is False
    )


def test_age_from_birth_year():
    assert age_from_birth_year(1944, date(2026, 11, 23)) == 82
    assert age_from_birth_year(None) is None


def test_describe_names_the_conditions_that_mattered():
    text = describe(
        3,
        {"themes": ["eenzaamheid"], "neighbourhoods": [DADIZELE]},
        FACTS,
        "Dadizele",
        "An Peeters",
    )
    assert text == "regel 3: thema=eenzaamheid, buurt=Dadizele → An Peeters"


facts_strategy = st.builds(
    Facts,
    neighbourhood_id=st.integers(1, 4),
    theme=st.sampled_from(sorted(THEMES)),
    domain=st.sampled_from(sorted(DOMAINS)),
    source=st.sampled_from(sorted(SOURCES)),
    urgency=st.sampled_from(["normal", "urgent"]),
    age=st.one_of(st.none(), st.integers(0, 110)),
)
conditions_strategy = st.fixed_dictionaries(
    {},
    optional={
        "neighbourhoods": st.lists(st.integers(1, 4), max_size=3),
        "themes": st.lists(st.sampled_from(sorted(THEMES)), max_size=3),
        "domains": st.lists(st.sampled_from(sorted(DOMAINS)), max_size=2),
        "age_min": st.sampled_from([65, 80]),
        "urgency": st.sampled_from([None, "urgent", "normal"]),
    },
)
rules_strategy = st.lists(
    st.builds(RuleSpec, name=st.just("r"), conditions=conditions_strategy, enabled=st.booleans()),
    max_size=6,
)


@given(rules_strategy, facts_strategy)
def test_first_enabled_match_wins(rules, facts):
    index = first_match(rules, facts)
    matching = [i for i, r in enumerate(rules) if r.enabled and rule_matches(r.conditions, facts)]
    assert index == (matching[0] if matching else None)


@given(rules_strategy, facts_strategy, st.integers(0, 5))
def test_disabling_a_later_rule_never_changes_an_earlier_match(rules, facts, extra):
    index = first_match(rules, facts)
    if index is None:
        return
    changed = [
        RuleSpec(r.name, r.conditions, False) if i > index else r for i, r in enumerate(rules)
    ]
    assert first_match(changed, facts) == index


@given(st.lists(st.integers(0, 4), min_size=1, max_size=6), st.integers(-1, 5))
def test_least_loaded_picks_a_member_with_the_fewest_cases(loads, last):
    members = list(range(100, 100 + len(loads)))
    load = dict(zip(members, loads, strict=True))
    position, user_id = pick_least_loaded(members, load, last % len(members) if last >= 0 else -1)
    assert load[user_id] == min(loads)
    assert members[position] == user_id


def test_ties_go_round_robin():
    members, load = [10, 11, 12], {10: 1, 11: 1, 12: 1}
    picks, last = [], -1
    for _ in range(4):
        last, user = pick_least_loaded(members, load, last)
        picks.append(user)
    assert picks == [10, 11, 12, 10]
