"""Cross-cutting pieces: errors, permissions, audit, the API base, health, tasks."""
