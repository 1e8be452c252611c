"""What both services plug into: config, database, tokens, problems. Never imports a service."""
