"""The gateway: the only public entry point; routes ``/{api}/v{major}/...`` to the service behind it."""
