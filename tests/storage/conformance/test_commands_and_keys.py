"""Every backend keeps control commands and API keys the same way: the latest state of each,
stamped by the store, read by run, by id and by state; keys found from any project."""

from __future__ import annotations

import dataclasses
import uuid

from runlens.storage.commands import CommandKind, CommandState, ControlCommand
from runlens.storage.contract import Store
from runlens.storage.keys import ApiKeyRecord

from ..builders import T0


def _command(project_id: str, run_id: str, seq: int, kind: CommandKind) -> ControlCommand:
    return ControlCommand(
        project_id=project_id, run_id=run_id, command_id=uuid.uuid4().hex, seq=seq, kind=kind,
        payload='{"message": "stop"}', state=CommandState.REQUESTED, issued_by="api",
        created_at_us=T0 // 1000 + seq, updated_at_us=0, detail="",
    )  # fmt: skip


def test_commands_are_read_in_their_latest_state(store: Store, project_id: str) -> None:
    steer = store.save_command(_command(project_id, "r1", 1, CommandKind.STEER))
    stop = store.save_command(_command(project_id, "r1", 2, CommandKind.TERMINATE))
    other = store.save_command(_command(project_id, "r2", 1, CommandKind.TERMINATE))
    delivered = store.save_command(stop.moved(CommandState.DELIVERED, "fetched"))
    applied = store.save_command(delivered.moved(CommandState.APPLIED, "done"))

    assert 0 < steer.updated_at_us < stop.updated_at_us < delivered.updated_at_us
    assert delivered.updated_at_us < applied.updated_at_us
    assert dataclasses.replace(applied, updated_at_us=0) == dataclasses.replace(
        stop, state=CommandState.APPLIED, detail="done", updated_at_us=0
    )
    assert store.run_commands(project_id, ["r1", "r2", "r3"]) == {
        "r1": [steer, applied],
        "r2": [other],
    }
    assert store.run_commands(project_id, []) == {}
    assert store.command(project_id, stop.command_id) == applied
    assert store.command(project_id + "-x", stop.command_id) is None
    assert store.command(project_id, "missing") is None
    pending = (CommandState.REQUESTED, CommandState.DELIVERED)
    assert store.commands_in_states(project_id, CommandKind.TERMINATE, pending) == [other]
    assert store.commands_in_states(project_id, CommandKind.STEER, pending) == [steer]
    assert store.commands_in_states(project_id, CommandKind.TERMINATE, [CommandState.APPLIED]) == [
        applied
    ]


def _key(project_id: str, created_us: int) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=uuid.uuid4().hex[:12], project_id=project_id, name="ci",
        secret_sha256="ab" * 32, created_at_us=created_us,
    )  # fmt: skip


def test_keys_are_found_from_any_project_and_listed_oldest_first(
    store: Store, project_id: str
) -> None:
    other = project_id + "-other"
    second, first, theirs = (
        _key(project_id, T0 // 1000 + 2),
        _key(project_id, T0 // 1000 + 1),
        _key(other, T0 // 1000),
    )
    for key in (second, first, theirs):
        store.save_key(key)
    revoked = dataclasses.replace(first, revoked_at_us=T0 // 1000 + 5)
    store.save_key(revoked)

    assert store.find_key(theirs.key_id) == theirs
    assert store.find_key(first.key_id) == revoked and revoked.revoked
    assert store.find_key("missing") is None
    assert store.list_keys(project_id) == [revoked, second]
    everyone = [k for k in store.list_keys() if k.project_id in (project_id, other)]
    assert everyone == [theirs, revoked, second]
