"""GraphQL at ``/graphql`` (strawberry) over the same domain services and grant checks as REST."""
