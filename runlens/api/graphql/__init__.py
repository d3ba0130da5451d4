"""The GraphQL API (docs/api.md): schema, types, loaders, pagination, errors."""
