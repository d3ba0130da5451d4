"""Control commands in `runlens.control_commands`: one row per state change, read with FINAL
(the table is small and every read is bounded by project, and by run where it can be)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runlens.storage.clickhouse.queries import CONTROL_COMMANDS as COMMANDS
from runlens.storage.clickhouse.queries import Select
from runlens.storage.commands import CommandKind, CommandState, ControlCommand

_COLUMNS = """project_id, run_id, command_id, seq, kind, payload, state, issued_by,
    toUnixTimestamp64Micro(created_at) AS created_at_us,
    toUnixTimestamp64Micro(updated_at) AS updated_at_us, detail"""

INSERT_COMMAND = f"""INSERT INTO {COMMANDS} (project_id, run_id, command_id, seq, kind, payload,
    state, issued_by, created_at, updated_at, detail)
SELECT {{project_id:String}}, {{run_id:String}}, {{command_id:String}}, {{seq:UInt32}},
    {{kind:String}}, {{payload:String}}, {{state:String}}, {{issued_by:String}},
    fromUnixTimestamp64Micro({{created_us:Int64}}, 'UTC'),
    fromUnixTimestamp64Micro({{updated_us:Int64}}, 'UTC'), {{detail:String}}"""

_RUN_COMMANDS = f"""SELECT {_COLUMNS}
FROM {COMMANDS} FINAL
WHERE project_id = {{project_id:String}} AND run_id IN {{run_ids:Array(String)}}
ORDER BY run_id, seq"""

_COMMAND = f"""SELECT {_COLUMNS}
FROM {COMMANDS} FINAL
WHERE project_id = {{project_id:String}} AND command_id = {{command_id:String}}
LIMIT 1"""

_IN_STATES = f"""SELECT {_COLUMNS}
FROM {COMMANDS} FINAL
WHERE project_id = {{project_id:String}} AND kind = {{kind:String}}
  AND state IN {{states:Array(String)}}
ORDER BY created_at, command_id"""


def insert_params(command: ControlCommand) -> dict[str, Any]:
    c = command
    return {
        "project_id": c.project_id,
        "run_id": c.run_id,
        "command_id": c.command_id,
        "seq": c.seq,
        "kind": c.kind.value,
        "payload": c.payload,
        "state": c.state.value,
        "issued_by": c.issued_by,
        "created_us": c.created_at_us,
        "updated_us": c.updated_at_us,
        "detail": c.detail,
    }


def command_from_row(row: dict[str, Any]) -> ControlCommand:
    return ControlCommand(
        project_id=row["project_id"],
        run_id=row["run_id"],
        command_id=row["command_id"],
        seq=int(row["seq"]),
        kind=CommandKind(row["kind"]),
        payload=row["payload"],
        state=CommandState(row["state"]),
        issued_by=row["issued_by"],
        created_at_us=int(row["created_at_us"]),
        updated_at_us=int(row["updated_at_us"]),
        detail=row["detail"],
    )


def run_commands(select: Select, run_ids: Sequence[str]) -> dict[str, list[ControlCommand]]:
    found: dict[str, list[ControlCommand]] = {}
    if not run_ids:
        return found
    rows = select.rows(_RUN_COMMANDS, {"run_ids": list(run_ids)})
    for row in rows:
        command = command_from_row(row)
        found.setdefault(command.run_id, []).append(command)
    return found


def command(select: Select, command_id: str) -> ControlCommand | None:
    rows = select.rows(_COMMAND, {"command_id": command_id})
    return command_from_row(rows[0]) if rows else None


def commands_in_states(
    select: Select, kind: CommandKind, states: Sequence[CommandState]
) -> list[ControlCommand]:
    params = {"kind": kind.value, "states": [s.value for s in states]}
    return [command_from_row(row) for row in select.rows(_IN_STATES, params)]
