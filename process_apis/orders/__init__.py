"""Order-to-fulfillment: the order saga and the business exception worklist."""
