"""Data access: the single DynamoDB table, its entity models and transactions."""
