"""The permission matrix, in one place: which role may do what.

Every route declares the one permission it needs (`requires(...)` in server/auth/deps.py);
a test walks every route with every role against this table.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    LIBRARIAN = "librarian"
    SECURITY = "security"
    PATRON = "patron"
    KIOSK = "kiosk"  # a self-service terminal
    GATEWAY = "gateway"  # a device credential


class Permission(StrEnum):
    DEVICES_READ = "devices.read"  # the device registry, gateway health, command states
    DEVICES_COMMAND = "devices.command"  # send commands to devices (identify, ...)
    EVENTS_READ = "events.read"  # the event log, dead letters, the live stream
    CATALOG_READ = "catalog.read"  # search and read records and items
    CATALOG_WRITE = "catalog.write"  # create, change, import records and items
    PATRONS_READ = "patrons.read"
    PATRONS_WRITE = "patrons.write"  # create and change patrons, set and lift blocks
    PATRONS_PRIVACY = "patrons.privacy"  # export everything held on a patron, erase one
    CIRCULATE = "circulation.circulate"  # check out, check in, renew at a desk or kiosk
    CIRCULATION_OVERRIDE = "circulation.override"  # lend despite a refusal, with a reason
    FEES_MANAGE = "circulation.fees"  # take payments, waive and charge fees, mark items lost
    RULES_MANAGE = "circulation.rules"  # change the loan rule matrix and the opening calendar
    PORTAL = "portal"  # a patron's own loans, holds, fines and notices
    REPORTS_READ = "reports.read"
    ACCOUNTS_MANAGE = "accounts.manage"  # create, change, unlock and disable accounts
    AUDIT_READ = "audit.read"


STAFF = {Role.ADMIN, Role.LIBRARIAN, Role.SECURITY}

MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.DEVICES_READ: frozenset(STAFF),
    Permission.DEVICES_COMMAND: frozenset({Role.ADMIN, Role.LIBRARIAN, Role.SECURITY}),
    Permission.EVENTS_READ: frozenset(STAFF),
    Permission.CATALOG_READ: frozenset({Role.ADMIN, Role.LIBRARIAN, Role.KIOSK, Role.PATRON}),
    Permission.CATALOG_WRITE: frozenset({Role.ADMIN, Role.LIBRARIAN}),
    Permission.PATRONS_READ: frozenset({Role.ADMIN, Role.LIBRARIAN}),
    Permission.PATRONS_WRITE: frozenset({Role.ADMIN, Role.LIBRARIAN}),
    Permission.PATRONS_PRIVACY: frozenset({Role.ADMIN}),
    Permission.CIRCULATE: frozenset({Role.ADMIN, Role.LIBRARIAN, Role.KIOSK}),
    Permission.CIRCULATION_OVERRIDE: frozenset({Role.ADMIN, Role.LIBRARIAN}),
    Permission.FEES_MANAGE: frozenset({Role.ADMIN, Role.LIBRARIAN}),
    Permission.RULES_MANAGE: frozenset({Role.ADMIN, Role.LIBRARIAN}),
    Permission.PORTAL: frozenset({Role.PATRON}),
    Permission.REPORTS_READ: frozenset({Role.ADMIN, Role.LIBRARIAN}),
    Permission.ACCOUNTS_MANAGE: frozenset({Role.ADMIN}),
    Permission.AUDIT_READ: frozenset({Role.ADMIN}),
}


def allowed(role: Role, permission: Permission) -> bool:
    return role in MATRIX[permission]
