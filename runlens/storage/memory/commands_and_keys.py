"""The `CommandStore` and `KeyStore` roles of `MemoryStore`: the latest state of each command
and key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from runlens.storage.commands import CommandKind, CommandState, ControlCommand
from runlens.storage.keys import ApiKeyRecord
from runlens.storage.memory.tables import MemoryTables


class MemoryCommandsAndKeys(MemoryTables):
    # -- CommandStore --------------------------------------------------------------------------

    def save_command(self, command: ControlCommand) -> ControlCommand:
        with self._lock:
            self._open()
            self._last_version = self._stamp()
            stored = replace(command, updated_at_us=self._last_version)
            self._commands[(command.project_id, command.run_id, command.command_id)] = stored
        return stored

    def run_commands(
        self, project_id: str, run_ids: Sequence[str]
    ) -> dict[str, list[ControlCommand]]:
        with self._lock:
            self._open()
            found = {run_id: self._run_commands(project_id, run_id) for run_id in run_ids}
        return {run_id: commands for run_id, commands in found.items() if commands}

    def command(self, project_id: str, command_id: str) -> ControlCommand | None:
        with self._lock:
            self._open()
            for (p, _, c), stored in self._commands.items():
                if p == project_id and c == command_id:
                    return stored
        return None

    def commands_in_states(
        self, project_id: str, kind: CommandKind, states: Sequence[CommandState]
    ) -> list[ControlCommand]:
        with self._lock:
            self._open()
            found = [
                c
                for c in self._commands.values()
                if c.project_id == project_id and c.kind is kind and c.state in states
            ]
        return sorted(found, key=lambda c: (c.created_at_us, c.command_id))

    # -- KeyStore ------------------------------------------------------------------------------

    def save_key(self, key: ApiKeyRecord) -> None:
        with self._lock:
            self._open()
            self._keys[key.key_id] = key

    def find_key(self, key_id: str) -> ApiKeyRecord | None:
        with self._lock:
            self._open()
            return self._keys.get(key_id)

    def list_keys(self, project_id: str | None = None) -> list[ApiKeyRecord]:
        with self._lock:
            self._open()
            found = [k for k in self._keys.values() if project_id in (None, k.project_id)]
        return sorted(found, key=lambda k: (k.created_at_us, k.key_id))
