"""The gateway's OAuth 2.0 authorization server (client credentials, RFC 9068 JWT access tokens) and the
checks every proxied request passes: token, scope, tenant."""
