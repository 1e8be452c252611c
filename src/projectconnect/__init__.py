"""Project Connect: multi-tenant project management, as an auth and a projects service."""

__version__ = "0.1.0"
