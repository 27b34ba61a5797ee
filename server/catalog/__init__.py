"""Catalogue: bibliographic records, their items (copies), import, search and intake."""
