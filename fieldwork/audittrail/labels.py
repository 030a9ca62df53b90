"""Plain words for the audit log's actions and subjects (English source, Dutch in the .po)."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

ACTION_LABELS: dict[str, LazyString] = {
    "login": _l("Logged in"),
    "login_failed": _l("Login failed"),
    "token_issued": _l("API token issued"),
    "token_failed": _l("API token refused"),
    "user_created": _l("Account created"),
    "user_deactivated": _l("Account deactivated"),
    "users_listed": _l("Accounts listed"),
    "signal_created": _l("Signal filed"),
    "queue_viewed": _l("Queue viewed"),
    "case_viewed": _l("Case viewed"),
    "case_glass_broken": _l("Case opened outside own queue (reason given)"),
    "near_matches_viewed": _l("Possible duplicates viewed"),
    "residents_merged": _l("Residents merged"),
    "consent_proof_viewed": _l("Consent proof viewed"),
    "referral_card_filed": _l("Referral card filed"),
    "referral_card_handed_out": _l("Referral card handed out"),
    "referral_card_voided": _l("Referral card voided"),
    "visit_list_viewed": _l("Visit list viewed"),
    "visit_address_viewed": _l("Visit address viewed"),
    "visit_addresses_viewed": _l("Visit addresses viewed"),
    "visit_addresses_assigned": _l("Visit addresses assigned"),
    "visit_recorded": _l("Visit recorded"),
    "visit_undone": _l("Visit undone"),
    "flagged_visits_viewed": _l("Flagged visits viewed"),
    "visit_flag_reviewed": _l("Visit flag reviewed"),
    "call_list_viewed": _l("Call list viewed"),
    "call_target_viewed": _l("Call target viewed"),
    "call_recorded": _l("Call recorded"),
    "goodmorning_call_recorded": _l("Good-morning call recorded"),
    "goodmorning_list_viewed": _l("Good-morning list viewed"),
    "goodmorning_schedule_viewed": _l("Good-morning schedule viewed"),
    "goodmorning_schedule_created": _l("Good-morning schedule created"),
    "alerts_viewed": _l("Alerts viewed"),
    "alert_acknowledged": _l("Alert acknowledged"),
    "volunteer_viewed": _l("Volunteer viewed"),
    "volunteer_pool_viewed": _l("Volunteer pool viewed"),
    "buurtgezel_request_viewed": _l("Buurtgezel request viewed"),
    "buurtgezel_requests_listed": _l("Buurtgezel requests listed"),
    "buurtgezel_matched": _l("Buurtgezel matched"),
    "photo_viewed": _l("Photo viewed"),
    "report_exported": _l("Report exported"),
    "resident_exported": _l("Resident's data exported (access request)"),
    "resident_erased": _l("Resident erased"),
    "erasure_page_viewed": _l("Erasure page viewed"),
    "retention_purged": _l("Retention purge"),
    "erasures_replayed": _l("Erasures replayed after a restore"),
    "audit_trail_viewed": _l("Audit trail viewed"),
    "audit_trail_exported": _l("Audit trail exported"),
    "caring_neighbour_added": _l("Caring neighbour added"),
    "caring_neighbour_code": _l("Caring neighbour's code made"),
    "caring_neighbour_link_sent": _l("Caring neighbour's sign-in link sent"),
    "caring_neighbour_status": _l("Caring neighbour confirmed, paused or ended"),
    "caring_neighbours_listed": _l("Caring neighbours listed"),
    "caring_neighbours_viewed": _l("Caring neighbours viewed"),
    "caring_neighbours_messaged": _l("Message to caring neighbours"),
    "caring_neighbours_training": _l("Caring neighbours' training recorded"),
    "neighbour_signal_filed": _l("Signal filed by a caring neighbour"),
    "plan_viewed": _l("Neighbourhood plan viewed"),
    "plan_saved": _l("Neighbourhood plan saved"),
    "plan_objective_saved": _l("Plan objective saved"),
    "plan_action_saved": _l("Plan action saved"),
    "plan_action_viewed": _l("Plan action viewed"),
    "plan_action_note_added": _l("Progress note added to a plan action"),
    "plan_indicator_added": _l("Plan indicator added"),
    "plan_objective_deleted": _l("Plan objective deleted"),
    "plan_action_deleted": _l("Plan action deleted"),
    "plan_indicator_deleted": _l("Plan indicator deleted"),
    "plan_reaction_added": _l("Residents' reaction recorded"),
    "plan_printed": _l("Neighbourhood plan printed"),
    "plan_summary_printed": _l("Residents' summary printed"),
    "plan_summary_published": _l("Residents' summary published"),
    "plan_summary_unpublished": _l("Residents' summary taken offline"),
}

SUBJECT_LABELS: dict[str, LazyString] = {
    "case": _l("Case"),
    "resident": _l("Resident"),
    "user": _l("Account"),
    "signal": _l("Signal"),
    "visit": _l("Visit"),
    "visit_address": _l("Visit address"),
    "call_target": _l("Call target"),
    "volunteer": _l("Volunteer"),
    "photo": _l("Photo"),
    "caring_neighbour": _l("Caring neighbour"),
    "plan": _l("Neighbourhood plan"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def subject_label(subject_type: str) -> str:
    label = SUBJECT_LABELS.get(subject_type)
    return str(label) if label is not None else subject_type
