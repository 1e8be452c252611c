"""The auth service: accounts, sessions, tokens."""
