"""Foodshare shared layer: domain, data access, cache, events and observability."""
