"""Reading and writing: CRM exports from CSV, Parquet or a database, the contract's validation, timestamps,
vendor importers (Salesforce, HubSpot), value spellings and outputs that appear whole or not at all.
"""
