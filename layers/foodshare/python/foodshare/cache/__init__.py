"""The read cache (L1 container memory, L2 Redis, L3 DynamoDB read models) and the per-user rate limits.

See docs/cache.md: strategies per cache type, why a response is never stale after
a write (versions bumped in the write path), and what happens when Redis is down.
"""
