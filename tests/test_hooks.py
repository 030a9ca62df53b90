"""The hooks between layers: every receiver is connected once per process however many apps
are made, and each app runs the packages' steps of `tasks tick` once, in order."""

from __future__ import annotations

from fieldwork import create_app
from fieldwork.areas.hooks import fixup_resolved, neighbourhood_in_use
from fieldwork.auth.hooks import user_deactivated
from fieldwork.cases.hooks import (
    case_consent_withdrawn,
    case_page_sections,
    consent_proofs,
    team_membership,
)
from fieldwork.core.cli import TICK_STEPS
from fieldwork.core.hooks import worker_ping
from fieldwork.routing.hooks import signals_routed
from fieldwork.signals.hooks import signal_case
from fieldwork.volunteers.hooks import volunteer_stepped_back

EXPECTED = {
    worker_ping: {"fieldwork.areas.receivers"},
    neighbourhood_in_use: {"fieldwork.signals.receivers", "fieldwork.routing.receivers"},
    fixup_resolved: {"fieldwork.signals.receivers", "fieldwork.visits.receivers"},
    user_deactivated: {"fieldwork.routing.receivers"},
    signal_case: {"fieldwork.cases.receivers"},
    case_consent_withdrawn: {
        "fieldwork.volunteers.receivers",
        "fieldwork.calls.receivers",
        "fieldwork.onward.receivers",
    },
    team_membership: {"fieldwork.routing.receivers"},
    consent_proofs: {"fieldwork.referrals.receivers"},
    case_page_sections: {"fieldwork.onward.receivers"},
    signals_routed: {"fieldwork.reports.receivers"},
    volunteer_stepped_back: {"fieldwork.calls.receivers", "fieldwork.visits.receivers"},
}


def test_receivers_connect_once_however_many_apps(tmp_path):
    apps = [
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/{n}.db"})
        for n in range(3)
    ]
    for hook, modules in EXPECTED.items():
        receivers = list(hook.receivers_for(None))
        assert sorted(r.__module__ for r in receivers) == sorted(modules), hook.name
    for app in apps:
        steps = app.extensions[TICK_STEPS]
        assert [step.__module__ for step in steps] == [
            "fieldwork.cases.cli",
            "fieldwork.calls.cli",
            "fieldwork.referrals.services",
            "fieldwork.onward.services",
            "fieldwork.volunteers.cli",
            "fieldwork.audittrail.cli",
        ]
