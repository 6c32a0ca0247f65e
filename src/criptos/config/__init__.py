"""Configuration: the project's config loader and resolvers, and the typed parameters."""
