"""The projects service: projects, their tasks and progress, scoped to their owner."""
