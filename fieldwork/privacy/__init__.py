"""The personal-data lifecycle: retention, access requests, erasure and the register of processing."""
