"""Singlet's developer tooling: the `singlet` command, DynamoDB Local, demo data, tables
created from the template, migrations run from a terminal, GraphiQL's assets fetched.

A distribution of its own (tools/pyproject.toml): the Lambda artifact is built from the
runtime distribution alone and never contains any of this.
"""
