"""Admin for uploads (registered through incidents/admin.py)."""
