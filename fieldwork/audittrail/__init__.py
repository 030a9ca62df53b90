"""The audit trail read back: who read or changed which resident's data, and break the glass."""
