"""What every Omnigate service is built from: settings, app factory, database, events, HTTP, telemetry."""
