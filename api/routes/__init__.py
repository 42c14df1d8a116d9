"""The HTTP routes, one module per resource, all under /api/v1."""
