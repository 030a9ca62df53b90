"""Rule matching, free of the database: ordered rules, first enabled match wins."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

LIST_CONDITIONS = {
    "neighbourhoods": "neighbourhood_id",
    "themes": "theme",
    "domains": "domain",
    "sources": "source",
}
CONDITION_KEYS = (*LIST_CONDITIONS, "age_min", "urgency")


@dataclass(frozen=True)
class Facts:
    neighbourhood_id: int
    theme: str
    domain: str
    source: str
    urgency: str
    age: int | None = None


@dataclass(frozen=True)
class RuleSpec:
    name: str
    conditions: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True


def age_from_birth_year(birth_year: int | None, today: date | None = None) -> int | None:
    if birth_year is None:
        return None
    return (today or date.today()).year - birth_year  # noqa: DTZ011 - a year is enough


def rule_matches(conditions: dict[str, Any], facts: Facts) -> bool:
    """Absent or empty condition keys match anything."""
    for key, attribute in LIST_CONDITIONS.items():
        wanted = conditions.get(key)
        if wanted and getattr(facts, attribute) not in wanted:
            return False
    age_min = conditions.get("age_min")
    if age_min is not None and (facts.age is None or facts.age < age_min):
        return False
    urgency = conditions.get("urgency")
    return not (urgency and facts.urgency != urgency)


def first_match(rules: Sequence[RuleSpec], facts: Facts) -> int | None:
    """Index of the first enabled rule that matches, or None."""
    for index, rule in enumerate(rules):
        if rule.enabled and rule_matches(rule.conditions, facts):
            return index
    return None


def describe(
    position: int, conditions: dict[str, Any], facts: Facts, neighbourhood_name: str, assignee: str
) -> str:
    """'regel 3: thema=eenzaamheid, buurt=Dadizele → An Peeters' — the conditions that
    mattered, in the words the coordinator used."""
    parts: list[str] = []
    if conditions.get("themes"):
        parts.append(f"thema={facts.theme}")
    if conditions.get("domains"):
        parts.append(f"domein={facts.domain}")
    if conditions.get("neighbourhoods"):
        parts.append(f"buurt={neighbourhood_name}")
    if conditions.get("age_min") is not None:
        parts.append(f"leeftijd≥{conditions['age_min']}")
    if conditions.get("sources"):
        parts.append(f"bron={facts.source}")
    if conditions.get("urgency"):
        parts.append(f"urgentie={facts.urgency}")
    return f"regel {position}: {', '.join(parts) or 'alles'} → {assignee}"


def pick_least_loaded(
    member_ids: Iterable[int], load: dict[int, int], last_position: int
) -> tuple[int, int]:
    """(position, user id) of the member with the fewest open cases; ties go round-robin,
    starting after the member that was picked last."""
    members = list(member_ids)
    if not members:
        raise ValueError("a team without members cannot be assigned")
    fewest = min(load.get(m, 0) for m in members)
    for step in range(1, len(members) + 1):
        position = (last_position + step) % len(members)
        if load.get(members[position], 0) == fewest:
            return position, members[position]
    raise AssertionError("unreachable")
