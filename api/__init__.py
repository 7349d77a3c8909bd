"""The HTTP edge: GraphQL schema assembly, Starlette app, Lambda handler, settings, CLI."""
