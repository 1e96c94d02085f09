"""Traffic policies the gateway applies before proxying: rate limits."""
