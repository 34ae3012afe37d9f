"""HTTP API plumbing shared by the API handlers: resolver, identity, request models, views."""
