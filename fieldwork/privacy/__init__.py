"""The personal-data lifecycle: retention, access requests, erasure, the register of processing."""
