"""Plans, credits and pre-flight: quotas per operation kind, an append-only ledger in
integer micro-USD, holds before any provider call, captures per delivered unit,
idempotency keys and recovery of interrupted holds."""
