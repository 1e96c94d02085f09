"""The order saga: one durable state machine per order, advanced one step at a time by the saga worker."""
