"""Return-to-refund: RMAs from request to refund, posted once in every system."""
