"""The response bodies the OpenAPI documents: pydantic models, for the document only."""
