"""Local HTTP emulators of vendor APIs, speaking their documented wire formats."""
