"""The gateway's own admin API (``/admin/v1``): client onboarding and the audit log."""
