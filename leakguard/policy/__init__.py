"""Policy: configuration, allowlists, verdicts."""
