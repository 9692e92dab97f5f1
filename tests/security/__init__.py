"""Security tests: the attacks found by probing the platform, kept as regressions."""
