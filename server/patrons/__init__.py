"""Patrons: who may borrow, their cards, categories, blocks, PINs and privacy rights."""
