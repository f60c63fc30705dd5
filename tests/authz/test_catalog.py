"""The catalog is the design's permission matrix as data: `matrix.md` (the design's table,
kept beside this test as test data) is parsed here, at test time, and compared cell by
cell, so the two can never drift apart."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from spacegate.authz import CATALOG, SPEC_BY_ID, BuiltinRole, Level, Permission
from spacegate.authz.catalog import (
    BUILTIN_ROLE_LEVELS,
    builtin_role,
    builtin_role_permissions,
    permissions_allowed_for_level,
)
from spacegate.authz.masks import BIT, mask_of, permissions_in, sorted_permissions

MATRIX_MD = Path(__file__).with_name("matrix.md")

# The document's column headings, in its order, as the roles they stand for.
COLUMNS = (
    BuiltinRole.ADMIN,
    BuiltinRole.SPACE_ADMIN,
    BuiltinRole.SPACE_DEVELOPER,
    BuiltinRole.SPACE_MEMBER,
)


@dataclass(frozen=True)
class DocRow:
    id: str
    level: str
    holders: frozenset[BuiltinRole]
    from_seed_table: bool


def _parse_document() -> list[DocRow]:
    """The rows of both tables. The id is the first cell; level and the four dots are the
    last five, counted from the right so a `|` inside the description cannot shift them."""
    rows: list[DocRow] = []
    tables_seen = 0
    in_table = False
    for line in MATRIX_MD.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("| Id"):
            tables_seen += 1
            in_table = True
            continue
        if not stripped.startswith("|"):
            in_table = False
            continue
        if not in_table or stripped.startswith("|---"):
            continue
        cells = [cell.strip() for cell in stripped.strip("|").split("|")]
        level, *dots = cells[-5:]
        rows.append(
            DocRow(
                id=cells[0].strip("`"),
                level=level,
                holders=frozenset(role for role, dot in zip(COLUMNS, dots, strict=True) if dot),
                from_seed_table=tables_seen == 1,
            )
        )
    return rows


DOC_ROWS = _parse_document()
DOC_BY_ID = {row.id: row for row in DOC_ROWS}


def test_the_document_was_parsed() -> None:
    assert len(DOC_ROWS) == len(DOC_BY_ID), "an id appears twice in matrix.md"
    assert len(DOC_ROWS) >= 20
    assert all(row.level in {"account", "space"} for row in DOC_ROWS)
    assert all(BuiltinRole.ADMIN in row.holders for row in DOC_ROWS), "AA holds everything"


def test_catalog_has_exactly_the_documented_ids() -> None:
    assert {spec.id.value for spec in CATALOG} == set(DOC_BY_ID)
    assert len(CATALOG) == len(set(CATALOG)) == len(Permission)


@pytest.mark.parametrize("row", DOC_ROWS, ids=[row.id for row in DOC_ROWS])
def test_catalog_row_matches_the_document(row: DocRow) -> None:
    spec = SPEC_BY_ID[Permission(row.id)]
    assert spec.level is Level(row.level)
    assert spec.holders == row.holders
    assert spec.from_seed_table is row.from_seed_table


@pytest.mark.parametrize("role", list(BuiltinRole), ids=str)
def test_builtin_role_permissions_are_the_documented_column(role: BuiltinRole) -> None:
    expected = {Permission(row.id) for row in DOC_ROWS if role in row.holders}
    assert builtin_role_permissions(role) == expected


def test_the_five_builtin_roles() -> None:
    assert [role.value for role in BuiltinRole] == [
        "Admin",
        "Member",
        "Space Admin",
        "Space Developer",
        "Space Member",
    ]
    assert BUILTIN_ROLE_LEVELS == {
        BuiltinRole.ADMIN: Level.ACCOUNT,
        BuiltinRole.MEMBER: Level.ACCOUNT,
        BuiltinRole.SPACE_ADMIN: Level.SPACE,
        BuiltinRole.SPACE_DEVELOPER: Level.SPACE,
        BuiltinRole.SPACE_MEMBER: Level.SPACE,
    }
    assert builtin_role_permissions(BuiltinRole.ADMIN) == frozenset(Permission)
    assert builtin_role_permissions(BuiltinRole.MEMBER) == frozenset()
    # Built-in space roles hold space permissions only, nested SM < SD < SA.
    member, developer, admin = (
        builtin_role_permissions(role)
        for role in (
            BuiltinRole.SPACE_MEMBER,
            BuiltinRole.SPACE_DEVELOPER,
            BuiltinRole.SPACE_ADMIN,
        )
    )
    assert member < developer < admin
    assert all(SPEC_BY_ID[p].level is Level.SPACE for p in admin)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Admin", BuiltinRole.ADMIN),
        ("Space Developer", BuiltinRole.SPACE_DEVELOPER),
        ("admin", None),
        ("Account Admin", None),
        ("", None),
    ],
)
def test_builtin_role_by_wire_name(name: str, expected: BuiltinRole | None) -> None:
    assert builtin_role(name) is expected


def test_custom_role_levels() -> None:
    assert permissions_allowed_for_level(Level.ACCOUNT) == frozenset(Permission)
    space_only = permissions_allowed_for_level(Level.SPACE)
    assert space_only == {Permission(row.id) for row in DOC_ROWS if row.level == "space"}


def test_masks_round_trip_in_catalog_order() -> None:
    assert len(set(BIT.values())) == len(CATALOG)
    everything = mask_of(Permission)
    assert permissions_in(everything) == frozenset(Permission)
    assert sorted_permissions(everything) == [spec.id for spec in CATALOG]
    chosen = {Permission.VIEW_SPACE, Permission.CREATE_SPACES}
    assert permissions_in(mask_of(chosen)) == chosen
    assert mask_of([]) == 0
