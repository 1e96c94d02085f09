"""API version lifecycles (deprecation, sunset, brownouts, retirement) and who still calls which version."""
