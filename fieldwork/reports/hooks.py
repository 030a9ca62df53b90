"""Hooks that reports sends and higher packages answer (see ``fieldwork.core.hooks``)."""

from __future__ import annotations

from blinker import Namespace

hooks = Namespace()

#: Asked for more sections of the neighbourhood page (sender: the Neighbourhood,
#: ``coordinator=``: whether a coordinator looks). plans answers with the neighbourhood's
#: plans (rendered HTML, autoescaped).
neighbourhood_page_sections = hooks.signal("neighbourhood-page-sections")


def neighbourhood_sections(neighbourhood: object, coordinator: bool) -> list[object]:
    return [
        answer
        for _receiver, answer in neighbourhood_page_sections.send(
            neighbourhood, coordinator=coordinator
        )
    ]
