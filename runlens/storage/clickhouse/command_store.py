"""The `CommandStore` role of `ClickHouseStore` (SQL in commands.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from runlens.storage.clickhouse import commands
from runlens.storage.clickhouse.connections import StoreConnections
from runlens.storage.clickhouse.errors import translated
from runlens.storage.commands import CommandKind, CommandState, ControlCommand


class CommandRecords(StoreConnections):
    def save_command(self, command: ControlCommand) -> ControlCommand:
        stored = replace(command, updated_at_us=self._next_version())
        with translated():
            params = commands.insert_params(stored)
            self._client().command(commands.INSERT_COMMAND, parameters=params)
        return stored

    def run_commands(
        self, project_id: str, run_ids: Sequence[str]
    ) -> dict[str, list[ControlCommand]]:
        return commands.run_commands(self._scoped(project_id), run_ids)

    def command(self, project_id: str, command_id: str) -> ControlCommand | None:
        return commands.command(self._scoped(project_id), command_id)

    def commands_in_states(
        self, project_id: str, kind: CommandKind, states: Sequence[CommandState]
    ) -> list[ControlCommand]:
        return commands.commands_in_states(self._scoped(project_id), kind, states)
