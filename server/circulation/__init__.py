"""Circulation: loans, returns, renewals, holds and fines, and the rules they follow."""
