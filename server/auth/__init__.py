"""Auth: staff and device accounts, sign-in sessions, the permission matrix, the audit log."""
