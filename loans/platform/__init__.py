"""The online loan platform link (docs/platform.md): whitelist delivery (pull, push, file),
events back (webhook, nightly file), the daily reconciliation and a local fake platform."""
