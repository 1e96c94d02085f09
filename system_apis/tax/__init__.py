"""The tax system API: rates by jurisdiction, exemptions, calculation, committed transactions and refunds."""
