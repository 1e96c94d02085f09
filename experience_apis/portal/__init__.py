"""The customer-service portal's API: orders, their timelines and the business exception worklist."""
